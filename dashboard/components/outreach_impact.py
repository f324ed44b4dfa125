"""The "Dampak sosialisasi" section of Daerah Saya: the region's events on its weekly trend,
and what each past event did, in words."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import agenda, outreach_view, settings
from dashboard.components import chart_view, tables
from outreach.effect import MEASURES, headline_measure, measures_for
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
    effects = agenda.effects(listing.events)
    st.caption(
        "Pendaftar dalam 14 hari (atau selama kegiatan, paling lama 42 hari) sejak hari pertama "
        "kegiatan dibanding periode yang sama sebelumnya, lalu dibandingkan dengan perubahan di "
        "kabupaten/kota pembanding tanpa kegiatan pada minggu-minggu itu (provinsi yang sama "
        "atau jumlah penduduk dan tingkat pendaftaran serupa). Rentang ketidakpastian 95%."
    )
    measures = list(dict.fromkeys(m for e in listing.events for m in measures_for(e)))
    measure = st.radio(
        "Ukuran pada grafik",
        measures,
        index=measures.index("offline"),
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
    past = [event for event in listing.events if not event.is_planned(today)]
    for event in sorted(past, key=lambda e: e.start_date, reverse=True)[:SHOWN_EVENTS]:
        st.markdown(f"**{outreach_view.title(event)}**")
        own = [found for found in effects if found.event_id == event.id]
        own.sort(key=lambda found: found.measure != headline_measure(event))  # headline first
        lines = [outreach_view.sentence(found, threshold) for found in own]
        st.markdown("\n".join(f"- {line}" for line in lines))
    tables.show_table(  # an HTML table, like every other table on Daerah Saya
        outreach_view.events_frame(listing.events, effects, today),
        description="Kegiatan sosialisasi dan dampaknya",
    )
