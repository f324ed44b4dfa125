"""Bandingkan Provinsi (for Kemenko): 2–6 provinces side by side — figures, weekly trends,
funnels, and a ranking of all 38 provinces with the national average marked."""

import pandas as pd
import streamlit as st

from dashboard import access, charts, data, settings, state
from dashboard.components import chart_view, controls, downloads, header, tables
from dashboard.components.filters import NO_SELECT_ALL, filter_panel
from dashboard.exports.context import context_from_store
from dashboard.metric_options import (
    BY_URL_NAME,
    DEFAULT_METRIC,
    national_average,
    trend_measure,
    weekly_measure,
)
from geo.regions import NATION_CODE, provinces
from queries.suppression import hidden_figures

PROVINCES = dict(zip(provinces()["code"], provinces()["name"], strict=True))
DEFAULT_PICK = ["32", "35", "31"]

# --- view state from the URL -----------------------------------------------------------------
period = data.data_period()
filters, notices = state.read_filters(*period)
filters = filters.with_region(NATION_CODE)
picked = state.read_codes("prov", PROVINCES, notices, most=6) or DEFAULT_PICK
option = BY_URL_NAME[state.read_choice("metrik", BY_URL_NAME, DEFAULT_METRIC.url_name, notices)]
waves = data.waves(filters)

header.page_header(
    "Bandingkan Provinsi",
    "Pilih 2–6 provinsi untuk dibandingkan berdampingan; peringkat memuat ke-38 provinsi.",
    notices,
)
filters = filter_panel(filters, period, waves)

picked = st.multiselect(
    "Provinsi yang dibandingkan",
    options=list(PROVINCES),
    default=picked,
    format_func=PROVINCES.__getitem__,
    max_selections=6,
    placeholder="Pilih provinsi…",
    key="bandingkan_prov",
    select_all=NO_SELECT_ALL,  # Enter adds the first match, not every match
)
option = controls.metric_select(
    "Ukuran untuk peringkat",
    option,
    "bandingkan_metric",
    help="Ukuran per kapita (per 1.000 penduduk) dan rasio membuat provinsi besar dan kecil "
    "dapat dibandingkan.",
)
state.write_filters(filters, *period, keep_finer_region=True)  # the region is not shown here
state.write_value("prov", ",".join(picked), ",".join(DEFAULT_PICK))
if len(picked) < 2:
    st.info("Pilih sedikitnya dua provinsi.")
    st.stop()

# --- side-by-side figures --------------------------------------------------------------------
context = context_from_store(data.store(), filters, "Perbandingan provinsi")
all_provinces = data.region_metrics(filters, "province").set_index("code")
rows = {PROVINCES[code]: all_provinces.loc[code] for code in picked}
st.header("Angka berdampingan")
per_capita = st.toggle(
    "Per 1.000 penduduk", value=state.read_flag("per-kapita"), key="bandingkan_per_kapita"
)
state.write_value("per-kapita", "1" if per_capita else None)
tables.show_table(tables.comparison_frame(rows, per_capita=per_capita), "Wilayah")

# --- small-multiple weekly trends, in the order picked ---------------------------------------
trend_key = trend_measure(option, per_capita)
st.header(f"Tren mingguan: {charts.metric_label(trend_key)}")
if trend_key != option.key and option.kind == "rate":
    st.caption(
        f"Ukuran terpilih adalah rasio ({option.label.lower()}); tren menampilkan "
        f"{charts.metric_label(trend_key).lower()} per minggu."
    )
series = pd.concat(
    [
        weekly_measure(
            data.weekly_series(filters.with_region(code)),
            trend_key,
            all_provinces.loc[code, "population"],
        ).assign(region_name=PROVINCES[code])
        for code in picked
    ],
    ignore_index=True,
)
multiples, *panels = chart_view.built(
    charts.trend_views,
    series,
    trend_key,
    f"Tren mingguan per provinsi: {charts.metric_label(trend_key)}",
)
for column, panel in chart_view.in_rows(panels, per_row=3):
    with column:
        chart_view.show_chart(panel)
downloads.render_chart_downloads(multiples.chart, series, "tren-provinsi", context)

# --- funnels ---------------------------------------------------------------------------------
st.header("Corong: pendaftar → penerima → selesai → dibayar")
for column, code in chart_view.in_rows(picked, per_row=2):  # stage labels need the width
    with column:
        funnel = data.funnel(filters.with_region(code))
        chart_view.show_chart(chart_view.built(charts.funnel_chart, funnel, PROVINCES[code]))

# --- ranking of all 38 -----------------------------------------------------------------------
st.header(f"Peringkat 38 provinsi: {option.label}")
average = national_average(data.totals(filters), all_provinces, option)
ranking = all_provinces.reset_index()[["name", option.key]].rename(columns={option.key: "value"})
ranked = chart_view.built(
    charts.ranking_chart,
    ranking,
    option.key,
    f"{option.label} — 38 provinsi",
    average=average,
    highlight=tuple(PROVINCES[code] for code in picked),
    hidden=tuple(all_provinces.loc[hidden_figures(all_provinces, option.key), "name"]),
    suppressed_threshold=settings.suppression_threshold(),
)
chart_view.show_chart(ranked)
downloads.render_chart_downloads(ranked.chart, ranking, "peringkat-provinsi", context)
st.caption("Peta provinsi untuk presentasi:")
downloads.render_map_image_downloads(
    all_provinces.reset_index(), "province", option.key, context, filters=filters
)
if access.current_scope().may_export_deck(NATION_CODE):
    downloads.render_deck_button(data.store(), filters, NATION_CODE, compare=tuple(picked))
