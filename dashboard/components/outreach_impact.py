"""The "Dampak sosialisasi" section of Daerah Saya: the region's events on its weekly trend,
and what each past event did, in words."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import agenda, outreach_view, settings
from dashboard.components import chart_view, tables
from outreach.effect import MEASURES, Effect, chart_filters, measure_filters, measures_for
from outreach.events import Event
from queries.filters import Filters

SHOWN_EVENTS = 5


def unavailable_banner(problem: str) -> None:
    st.warning(
        f"{problem} Yang tampil adalah daftar kegiatan terakhir yang berhasil dibaca.",
    )


def impact_section(filters: Filters, region_label: str) -> None:
    st.subheader("Dampak sosialisasi")
    listing = agenda.events(filters.region)
    if listing.problem:
        unavailable_banner(listing.problem)
    if not listing.events:
        st.info(
            f"Belum ada kegiatan sosialisasi tercatat untuk {region_label}. Catat kegiatan di "
            "halaman Agenda sosialisasi.",
        )
        return
    today = date.today()
    threshold = settings.suppression_threshold()
    effects = agenda.effects(listing.events, filters)
    st.caption(METHOD_CAPTION)
    st.caption(outreach_view.scope_text(filters))
    past = [event for event in listing.events if not event.is_planned(today)]
    latest = max(past, key=lambda e: e.start_date, default=listing.events[0])
    measures = [
        m
        for m in dict.fromkeys(m for e in listing.events for m in measures_for(e))
        if measure_filters(filters, m) is not None  # within the page's population
    ]
    measure = st.radio(
        "Ukuran pada grafik",
        measures,
        index=measures.index(chart_filters(latest, filters)[0]),
        format_func=lambda key: MEASURES[key][0].capitalize(),
        horizontal=True,
        key=f"dampak_ukuran_{filters.region}",
    )
    weekly = agenda.weekly_measure(filters, measure)
    weekly = outreach_view.protected_weekly(weekly, threshold)
    chart = chart_view.built(
        outreach_view.impact_chart, weekly, tuple(listing.events), today, MEASURES[measure][0]
    )
    chart_view.show_chart(chart)
    for event in sorted(past, key=lambda e: e.start_date, reverse=True)[:SHOWN_EVENTS]:
        _event_effects(event, [found for found in effects if found.event_id == event.id])
    tables.show_table(  # an HTML table, like every other table on Daerah Saya
        outreach_view.events_frame(listing.events, effects, today),
        description="Kegiatan sosialisasi dan dampaknya",
    )


def _event_effects(event: Event, own: list[Effect]) -> None:
    """One event: its primary measure's sentence and pre-trend chart, then the secondary
    measures, said to be unjudged."""
    threshold = settings.suppression_threshold()
    st.markdown(f"**{outreach_view.title(event)}**")
    own = sorted(own, key=lambda found: not found.primary)  # the primary measure first
    lines = [outreach_view.sentence(found, threshold) for found in own]
    if not any(found.primary for found in own):
        lines.insert(0, outreach_view.outside_scope(event))
    st.markdown("\n".join(f"- {line}" for line in lines))
    main = next((found for found in own if found.primary and found.weekly_gap), None)
    if main is not None:
        with st.expander(f"Cek tren sebelum kegiatan: {main.label}"):
            st.caption(PRE_TREND_CAPTION)
            chart_view.show_chart(chart_view.built(outreach_view.event_study_chart, main))


METHOD_CAPTION = (
    "Pendaftar dalam jendela sejak hari pertama kegiatan (selama kegiatan, paling sedikit 14 "
    "dan paling lama 42 hari) dibanding rata-rata harian 8 minggu sebelumnya, lalu "
    "dibandingkan dengan perubahan di kabupaten/kota pembanding (provinsi yang sama atau "
    "penduduk dan tingkat pendaftaran serupa; tanpa kegiatan pada minggu-minggu itu dan bukan "
    "tetangga). Rentang ketidakpastian 95%. Setiap kegiatan dinilai dengan satu ukuran utama "
    "sesuai sasarannya; aturan penilaian ada di halaman Tentang Data."
)
PRE_TREND_CAPTION = (
    "Selisih mingguan dengan kabupaten/kota pembanding, relatif terhadap rata-rata selisih 8 "
    "minggu sebelum kegiatan. Sebelum kegiatan batang seharusnya datar di sekitar nol; bila "
    'sudah bergeser, penilaiannya berbunyi "sudah berbeda sebelum kegiatan".'
)
