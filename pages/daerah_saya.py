"""Daerah Saya (for Pemda): one province, regency or kecamatan — its map with neighbours, its
figures next to its regency's, province's and the nation's, breakdowns, the kecamatan of a
regency (or of a whole province), and where to focus outreach."""

import streamlit as st

from dashboard import access, agenda, charts, data, priorities, settings, state
from dashboard.components import (
    chart_view,
    controls,
    district_view,
    downloads,
    header,
    map_view,
    tables,
)
from dashboard.components.filters import filter_panel
from dashboard.components.outreach_impact import impact_section
from dashboard.exports.context import context_from_store
from dashboard.metric_options import BREAKDOWN_METRIC, BREAKDOWN_TITLES, BY_URL_NAME, DEFAULT_METRIC
from geo.regions import NATION_CODE, dotted, provinces, regencies_of, region_name
from queries.metrics import DISTRICT_BREAKDOWNS, add_rates

PROVINCES = dict(zip(provinces()["code"], provinces()["name"], strict=True))
WHOLE_PROVINCE = "__semua__"
MAP_LEVELS = {"kabupaten": "Kabupaten/kota", "kecamatan": "Kecamatan"}
SECTIONS = {
    "kecamatan": "Kecamatan",
    "rincian": "Rincian peserta",
    "dampak": "Dampak sosialisasi",
    "prioritas": "Prioritas sosialisasi",
}
"""The tabs under the region's figures (URL ``bagian``); only the open one is drawn."""

# --- view state from the URL -----------------------------------------------------------------
period = data.data_period()
filters, notices = state.read_filters(*period)
option = BY_URL_NAME[state.read_choice("metrik", BY_URL_NAME, DEFAULT_METRIC.url_name, notices)]
map_level = state.read_choice("tingkat", MAP_LEVELS, "kabupaten", notices)
section = state.read_choice("bagian", SECTIONS, "", notices)
waves = data.waves(filters)
scope = access.current_scope()
filters, scope_notices = access.clamp(filters, scope)
notices += scope_notices

header.page_header(
    "Daerah Saya",
    "Untuk pemerintah daerah: angka wilayah Anda, rinciannya, dan prioritas sosialisasi.",
    notices,
)
filters = filter_panel(filters, period, waves)

# --- region pickers --------------------------------------------------------------------------
pick = st.columns(3)
province = controls.url_selectbox(
    pick[0],
    "Provinsi",
    list(PROVINCES),
    filters.province or "32",
    "daerah_provinsi",
    PROVINCES.__getitem__,
)
regency_names = {
    code: name
    for code, name in zip(
        regencies_of(province)["code"], regencies_of(province)["name"], strict=True
    )
    if scope.sees_detail_of(code)
}
regency_options = [WHOLE_PROVINCE, *regency_names]
current_regency = filters.regency if filters.regency in regency_names else WHOLE_PROVINCE
regency = controls.url_selectbox(
    pick[1],
    "Kabupaten/kota",
    regency_options,
    current_regency,
    f"daerah_kabupaten_{province}",
    lambda code: (
        "Seluruh provinsi" if code == WHOLE_PROVINCE else f"{regency_names[code]} ({dotted(code)})"
    ),
)
district = filters.district if regency == filters.regency else None
filters = filters.with_region(district or (province if regency == WHOLE_PROVINCE else regency))
if filters.regency:
    district = district_view.district_choice(filters, scope, pick[2])
    filters = filters.with_region(district or filters.regency)
state.write_filters(filters, *period)
region_label = region_name(filters.region)

# --- map of the province, the selected regency outlined --------------------------------------
sees_regencies = scope.sees_regencies_of(province)
if not sees_regencies or filters.regency:
    map_level = "kabupaten"
else:
    map_level = controls.url_selectbox(
        st,
        "Tingkat peta",
        list(MAP_LEVELS),
        map_level,
        "daerah_tingkat",
        MAP_LEVELS.__getitem__,
        horizontal_radio=True,
    )
    state.write_value("tingkat", map_level, "kabupaten")
regency_values = data.region_metrics(filters, "regency")
if map_level == "kecamatan":
    district_view.district_section(filters, province, period)
elif sees_regencies:
    option = controls.metric_select("Ukuran di peta", option, "daerah_metric")
    map_view.boundary_offer()
    clicked = map_view.region_map(
        regency_values,
        level="regency",
        option=option,
        key="daerah_map",
        focus_province=province,
        selected_code=filters.regency,
    )
    if clicked and clicked in regency_names and clicked != filters.regency:
        state.write_filters(filters.with_region(clicked), *period)
        st.rerun()
    map_context = context_from_store(
        data.store(), filters.with_region(province), f"{option.label} — {PROVINCES[province]}"
    )
    downloads.render_map_image_downloads(
        regency_values, "regency", option.key, map_context, province, filters
    )
else:
    st.info(
        f"Peta dan peringkat kabupaten/kota {PROVINCES[province]} tidak termasuk akses Anda "
        f"({scope.describe()}); angka tingkat provinsi tetap tersedia."
    )

# --- figures next to the province and the nation ---------------------------------------------
st.header(f"Angka {region_label}")
compare = {region_label: data.totals(filters)}
if filters.district:
    compare[region_name(filters.region[:4])] = data.totals(filters.with_region(filters.region[:4]))
if filters.regency:
    compare[PROVINCES[province]] = data.totals(filters.with_region(province))
compare["Indonesia"] = data.totals(filters.with_region(NATION_CODE))
tables.show_table(tables.comparison_frame(compare), "Wilayah")

# --- one section at a time: the kecamatan, breakdowns, outreach impact, priorities ------------
available = {
    "kecamatan": bool(filters.regency),
    "rincian": True,
    "dampak": bool(filters.regency) or sees_regencies,  # a province's events, like its
    "prioritas": sees_regencies,  # regencies, are regency-level detail
}
shown = {name: label for name, label in SECTIONS.items() if available[name]}
section, tab = controls.url_tabs(shown, section, "daerah_bagian", "bagian")
with tab:
    if section == "kecamatan":  # the regency's kecamatan: map, ranking, priorities
        district_view.district_section(filters, filters.regency or province, period)
    elif section == "rincian":  # small cells already hidden by data.breakdown
        threshold = settings.suppression_threshold()
        context = context_from_store(data.store(), filters, f"Rincian — {region_label}")
        st.header("Rincian peserta")
        st.caption(f'Jumlah di bawah {threshold} ditampilkan sebagai "<{threshold}".')
        shown_breakdowns = [
            (dimension, title)
            for dimension, title in BREAKDOWN_TITLES.items()
            if not filters.district or dimension in DISTRICT_BREAKDOWNS
        ]
        if filters.district:
            st.caption("Platform pelatihan dan mitra pembayaran tidak dirinci per kecamatan.")
        for column, (dimension, title) in chart_view.in_rows(shown_breakdowns, per_row=2):
            metric = BREAKDOWN_METRIC.get(dimension, "registrants")
            frame = data.breakdown(filters, dimension)
            with column:
                chart = chart_view.built(
                    charts.breakdown_chart,
                    frame,
                    metric,
                    f"{title} — {region_label}",
                    suppressed_threshold=threshold,
                )
                chart_view.show_chart(chart)
                downloads.render_chart_downloads(chart.chart, frame, f"rincian-{title}", context)
    elif section == "dampak":  # events on the weekly trend, and what each did
        impact_section(filters, region_label)
    else:  # outreach priorities within the province
        st.header(f"Prioritas sosialisasi di {PROVINCES[province]}")
        st.caption(
            "Kabupaten/kota diurutkan menurut kesenjangan: pendaftar per 1.000 penduduk dan "
            "penerima per pendaftar yang jauh di bawah angka provinsi."
        )
        province_row = add_rates(
            data.totals(filters.with_region(province))
            .to_frame()
            .T.assign(population=regency_values["population"].sum())
            .astype(float)
        ).iloc[0]
        ranked = priorities.outreach_priorities(regency_values, province_row)
        tables.show_table(  # the order is the gap score; the reason says it in words
            priorities.display_frame(
                ranked, picked=filters.regency, last_events=agenda.last_event_dates(province)
            ).drop(columns="Skor kesenjangan"),
            description=f"Prioritas sosialisasi kabupaten/kota di {PROVINCES[province]}",
        )

# --- the presenter's files for the region ----------------------------------------------------
if sees_regencies and scope.may_export_deck(filters.region):
    downloads.render_deck_button(data.store(), filters, filters.region)
    downloads.render_offline_downloads(data.store(), filters, filters.region)
