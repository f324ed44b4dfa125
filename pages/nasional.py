"""Nasional: the national picture — KPIs, a map of provinces or regencies, a ranking and the
weekly trend. Clicking a province on the map drills into its regencies."""

import pandas as pd
import streamlit as st

from dashboard import access, charts, data, formatting, state
from dashboard.components import chart_view, controls, downloads, header, kpis, map_view, tables
from dashboard.components.filters import filter_panel
from dashboard.exports.context import context_from_store
from dashboard.metric_options import BY_URL_NAME, DEFAULT_METRIC
from geo.boundaries import Level
from geo.regions import NATION_CODE, provinces, region_name

LEVELS: dict[str, Level] = {"provinsi": "province", "kabupaten": "regency"}
PROVINCES = dict(zip(provinces()["code"], provinces()["name"], strict=True))

# --- view state from the URL -----------------------------------------------------------------
period = data.data_period()
filters, notices = state.read_filters(*period)
option = BY_URL_NAME[state.read_choice("metrik", BY_URL_NAME, DEFAULT_METRIC.url_name, notices)]
level_name = state.read_choice("tingkat", LEVELS, "provinsi", notices)
scope = access.current_scope()
filters, scope_notices = access.clamp(filters, scope)
notices += scope_notices
if filters.regency:  # this screen drills to a province at most
    filters = filters.with_region(filters.regency[:2])
waves = data.waves(filters)

header.page_header(
    "Kartu Prakerja — Nasional",
    "Pendaftar, penerima, penyelesaian pelatihan dan insentif per provinsi dan kabupaten/kota.",
    notices,
)
filters = filter_panel(filters, period, waves)

# --- KPI cards -------------------------------------------------------------------------------
scope_name = region_name(filters.region)
st.header(f"Angka utama: {scope_name}")
kpis.kpi_row(filters)

# --- map controls ----------------------------------------------------------------------------
row = st.columns([2, 2, 3])
option = controls.metric_select("Ukuran di peta", option, "nasional_metric", container=row[0])
if filters.province:
    level_name = "kabupaten"
    row[1].markdown(f"**{scope_name}** · kabupaten/kota")
    if row[2].button("Kembali ke peta nasional"):
        filters = filters.with_region(NATION_CODE)
        level_name = "provinsi"
else:
    level_name = row[1].radio(
        "Tingkat",
        options=list(LEVELS),
        index=list(LEVELS).index(level_name),
        format_func={"provinsi": "Provinsi", "kabupaten": "Kabupaten/kota"}.get,
        horizontal=True,
        key="nasional_level",
    )
    row[2].caption("Klik sebuah provinsi di peta untuk melihat kabupaten/kotanya.")

if level_name == "kabupaten" and not (
    scope.sees_regencies_of(filters.province) if filters.province else scope.national
):
    st.info(
        f"Peta kabupaten/kota hanya tersedia untuk wilayah akses Anda ({scope.describe()}); "
        "di luar itu ditampilkan angka tingkat provinsi."
    )
    level_name = "provinsi"
state.write_filters(filters, *period, keep_finer_region=bool(filters.province))
state.write_value("tingkat", level_name, "provinsi")

# --- map -------------------------------------------------------------------------------------
level = LEVELS[level_name]
values = data.region_metrics(filters, level)
where = (
    f"kabupaten/kota {scope_name}"
    if filters.province
    else ("provinsi" if level == "province" else "kabupaten/kota")
)
st.header(f"Peta: {option.label} per {where}")
st.caption(
    "Tabel Peringkat di bawah peta memuat angka yang sama (teks alternatif peta). "
    + ("" if filters.province else "Dengan papan ketik, buka provinsi lewat daftar berikut.")
)
if not filters.province:
    opened = controls.region_picker("Buka kabupaten/kota di provinsi", PROVINCES, "nasional_buka")
    if opened:
        state.write_filters(filters.with_region(opened), *period)
        st.rerun()
map_view.boundary_offer()
clicked = map_view.region_map(
    values,
    level=level,
    option=option,
    key="nasional_map",
    focus_province=filters.province if level == "regency" else None,
    selected_code=filters.province,
)
if clicked and len(clicked) == 2 and not filters.province:
    state.write_filters(filters.with_region(clicked), *period)
    st.rerun()
# A small count of unknown-code registrants is hidden (NA) like any other small cell.
unknown = data.unknown_code_totals(filters)["registrants"]
if not filters.province and pd.notna(unknown) and unknown > 0:
    st.caption(
        f"{formatting.number(unknown)} pendaftar dengan kode wilayah tidak dikenal "
        "tidak tampil di peta (lihat Tentang Data)."
    )

# --- ranking and trend -----------------------------------------------------------------------
context = context_from_store(data.store(), filters, f"{option.label} — {scope_name}")
left, right = st.columns([1, 1])
with left:
    st.header("Peringkat")
    tables.ranking_table(values, option, f"Peringkat {where} menurut {option.label.lower()}")
    downloads.render_map_image_downloads(
        values, level, option.key, context, filters.province, filters
    )
with right:
    st.header("Tren mingguan")
    series = data.weekly_series(filters)
    trend_title = f"Tren mingguan — {scope_name}"
    trend = chart_view.built(
        charts.weekly_chart, series, ("registrants", "recipients", "completed", "paid"), trend_title
    )
    chart_view.show_chart(trend)
    trend_context = context_from_store(data.store(), filters, trend_title)
    downloads.render_chart_downloads(trend.chart, series, "tren-mingguan", trend_context)

if scope.may_export_deck(filters.region):
    downloads.render_deck_button(data.store(), filters, filters.region)
    downloads.render_offline_downloads(data.store(), filters, filters.region)
