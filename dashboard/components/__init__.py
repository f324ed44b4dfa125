"""Shared UI components: header and banners, filters, KPI cards, map, tables, downloads."""
