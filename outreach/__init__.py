"""Agenda sosialisasi: outreach events recorded by Pemda, and their measured effect.

The agenda lives in its own application database (``outreach.storage``), never in the
read-only replica nor in the analytics store the refresh job rebuilds. ``outreach.effect``
compares registrants around each past event with comparable regencies (a
difference-in-differences). This package never imports Streamlit.
"""
