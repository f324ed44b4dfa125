"""Kecamatan (districts) of a regency, or of a whole province: map, ranking, priorities.

Outreach (mobile registration desks, Disnakertrans help points, village visits) is planned by
kecamatan, so a regency official sees inside their own borders. Counts are protected inside
each regency (``ProtectedFigures.district_metrics``); each regency's "kecamatan tidak dikenal"
row keeps the kecamatan adding up to the regency. There is no kecamatan population, so the
map offers shares of the regency and within-regency rates instead of rates per 1,000 people.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import agenda, data, formatting, priorities, state
from dashboard.access import Scope
from dashboard.components import controls, downloads, map_view, tables
from dashboard.exports.context import context_from_store
from dashboard.metric_options import (
    BY_URL_NAME,
    DEFAULT_DISTRICT_METRIC,
    DISTRICT_OPTIONS,
    NO_POPULATION_NOTE,
    MetricOption,
)
from geo.regions import districts_of, region_level, region_name
from queries.filters import Filters
from queries.metrics import NO_DISTRICT_DATA

METRIC_KEY = "metrik-kec"
MAP_KEY = "kecamatan_map"
"""One key for every area's kecamatan map: the frame (Leaflet, its drawn layers) stays when
the regency changes and redraws the new spec; a key per area made Streamlit replace the frame
on every switch (issue #23, ``bench.filter_latency``). A click from the previous area is not
reported again (``map_view._new_click``) and must start with the area anyway."""
WHOLE_REGENCY = "__semua__"


def district_section(filters: Filters, area: str, period: tuple[date, date]) -> None:
    """The kecamatan of ``area`` (a regency, or a province at kecamatan level) under the
    filters' other choices; a click on a kecamatan selects it (the URL keeps it)."""
    area_name = region_name(area)
    st.header(f"Kecamatan di {area_name}")
    if not data.has_district_data():
        st.info(NO_DISTRICT_DATA)  # one line: the replica sends no kecamatan codes
        return
    option = _district_metric()
    values = data.district_metrics(filters.with_region(area))
    known = values[values["known"]].reset_index(drop=True)
    st.caption(
        f"{NO_POPULATION_NOTE} Klik sebuah kecamatan di peta (atau pilih di atas) untuk "
        "melihat angkanya; tabel Peringkat memuat angka yang sama."
    )
    clicked = map_view.region_map(
        known,
        level="district",
        option=option,
        key=MAP_KEY,
        focus_province=area,
        selected_code=filters.district,
    )
    if clicked and clicked != filters.district and clicked.startswith(area):
        state.write_filters(filters.with_region(clicked), *period)
        st.rerun()
    st.caption(unknown_district_note(values))
    title = f"Kecamatan — {area_name}"
    context = context_from_store(data.store(), filters.with_region(area), title)
    tables.ranking_table(
        values, option, f"Peringkat kecamatan di {area_name} menurut {option.label.lower()}"
    )
    downloads.render_table_downloads(district_table(values), f"kecamatan-{area}", context)
    downloads.render_map_image_downloads(known, "district", option.key, context, area, filters)
    _district_priorities(filters, area, values)


def _district_metric() -> MetricOption:
    notices: list[str] = []
    names = [option.url_name for option in DISTRICT_OPTIONS]
    current = state.read_choice(METRIC_KEY, names, DEFAULT_DISTRICT_METRIC.url_name, notices)
    for notice in notices:
        st.caption(notice)
    return controls.metric_select(
        "Ukuran kecamatan di peta",
        BY_URL_NAME[current],
        "kecamatan_metric",
        options=DISTRICT_OPTIONS,
        url_key=METRIC_KEY,
        default=DEFAULT_DISTRICT_METRIC,
    )


def unknown_district_note(values: pd.DataFrame) -> str:
    """One line on the registrants whose kecamatan code is missing or not of their regency:
    they are counted so that the kecamatan add up to the regency, but not drawn."""
    unknown = values.loc[~values["known"], "registrants"]
    if unknown.isna().any():
        count = "Sebagian kecil (disembunyikan, <10)"
    else:
        count = formatting.number(float(unknown.sum()))
    return (
        f"Kecamatan tidak dikenal: {count} pendaftar dengan kode kecamatan kosong, lama, salah "
        "ketik, atau milik kabupaten/kota lain. Mereka dihitung pada baris tersendiri agar "
        "jumlah kecamatan sama persis dengan kabupaten/kota, tetapi tidak tampil di peta."
    )


DISTRICT_TABLE_COLUMNS = [
    "code",
    "name",
    "regency_code",
    "registrants",
    "recipients",
    "completed",
    "paid",
    "paid_idr",
    "registrants_share",
    "recipient_rate",
    "completion_rate",
    "paid_rate",
]


def district_table(values: pd.DataFrame) -> pd.DataFrame:
    """The kecamatan table as exported (CSV/XLSX): 6-digit code, name, regency, the counts
    (hidden ones stay hidden), the share of the regency's registrants and the rates."""
    return values[DISTRICT_TABLE_COLUMNS].reset_index(drop=True)


def _district_priorities(filters: Filters, area: str, values: pd.DataFrame) -> None:
    """Prioritas kecamatan: kecamatan ranked by how far their conversion and completion fall
    below the area's, in the same form as the regency priorities."""
    reference_name = "kabupaten/kota" if region_level(area) == "regency" else "provinsi"
    st.subheader(f"Prioritas kecamatan di {region_name(area)}")
    st.caption(
        "Kecamatan diurutkan menurut kesenjangan: penerima per pendaftar dan penyelesaian "
        f"pelatihan per penerima yang jauh di bawah angka {reference_name}."
    )
    ranked, _ = priorities.district_priorities(
        values, data.totals(filters.with_region(area)), reference_name
    )
    tables.show_table(
        priorities.display_frame(
            ranked,
            picked=filters.district,
            last_events=agenda.last_event_dates(area) if region_level(area) == "regency" else None,
            gaps=priorities.DISTRICT_GAPS,
        ).drop(columns="Skor kesenjangan"),
        description=f"Prioritas sosialisasi kecamatan di {region_name(area)}",
    )


def district_choice(filters: Filters, scope: Scope, container: controls.Container) -> str | None:
    """The kecamatan picker beside the regency picker (the keyboard path to a map click):
    the chosen kecamatan, or None for the whole regency."""
    regency = filters.regency
    if regency is None or not scope.sees_detail_of(regency) or not data.has_district_data():
        return None
    kecamatan = districts_of(regency)
    names = dict(zip(kecamatan["code"], kecamatan["name"], strict=True))
    chosen = controls.url_selectbox(
        container,
        "Kecamatan",
        [WHOLE_REGENCY, *names],
        filters.district if filters.district in names else WHOLE_REGENCY,
        f"daerah_kecamatan_{regency}",
        lambda code: "Seluruh kabupaten/kota" if code == WHOLE_REGENCY else names[code],
    )
    return None if chosen == WHOLE_REGENCY else chosen
