"""Indonesian regions, code vintages, boundaries and map builders.

Canonical code form inside the project: provinces as 2-digit strings (``"32"``), regencies
as 4-digit strings without the dot (``"3216"`` = Kemendagri ``32.16``). Convert at the edges
with :func:`geo.regions.normalize_code`. Nothing in this package imports Streamlit.
"""
