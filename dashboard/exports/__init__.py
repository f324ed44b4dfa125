"""Exports for presenters: chart images and tables, static maps, slide decks, and their log.

Every exported file carries the filters, the as-of time, the source and, for demo data, the
``DATA SINTETIS`` label (see :class:`dashboard.exports.context.ExportContext`).
"""
