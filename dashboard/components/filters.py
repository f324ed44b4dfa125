"""The one filter panel shared by every screen (sidebar): period, waves, channel, gender,
age band, disability. It returns a validated ``Filters``; the page mirrors it into the URL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import streamlit as st

from dashboard import formatting
from queries.filters import AGE_BANDS, CHANNELS, GENDERS, PROGRAMME_START, FilterError, Filters
from queries.metrics import BREAKDOWN_LABELS

DISABILITY_CHOICES = {None: "Semua", True: "Penyandang disabilitas", False: "Bukan penyandang"}
NO_SELECT_ALL = False
"""Every multiselect's ``select_all``: Streamlit's bulk option ("Select 6 matches") is English
and is what Enter picks after typing, so "Papua" + Enter added all six Papua provinces."""


def filter_panel(current: Filters, period: tuple[date, date], waves: list[int]) -> Filters:
    """Render the sidebar filters, starting from ``current`` (parsed from the URL)."""
    with st.sidebar:
        st.header("Filter")
        start, end = period_slider(current, period)
        picked_waves = st.multiselect(
            "Gelombang",
            options=waves,
            default=[wave for wave in current.waves if wave in waves],
            format_func=lambda wave: f"Gelombang {wave}",
            placeholder="Semua gelombang",
            key="filter_waves",
            select_all=NO_SELECT_ALL,
            help="Berlaku untuk penerima, pelatihan dan insentif; pendaftar belum bergelombang.",
        )
        channels = _multi("Kanal pendaftaran", CHANNELS, current.channels, "channel", "kanal")
        genders = _multi("Jenis kelamin", GENDERS, current.genders, "gender", "jk")
        age_bands = st.multiselect(
            "Kelompok usia",
            options=list(AGE_BANDS),
            default=list(current.age_bands),
            format_func=lambda band: f"{band} tahun",
            placeholder="Semua usia",
            key="filter_usia",
            select_all=NO_SELECT_ALL,
        )
        disability = st.selectbox(
            "Disabilitas",
            options=list(DISABILITY_CHOICES),
            index=list(DISABILITY_CHOICES).index(current.disability),
            format_func=DISABILITY_CHOICES.__getitem__,
            placeholder="Pilih…",
            key="filter_disabilitas",
        )
    try:
        return replace(
            current,
            date_from=start,
            date_to=end,
            waves=tuple(sorted(picked_waves)),
            channels=tuple(channels),
            genders=tuple(genders),
            age_bands=tuple(age_bands),
            disability=disability,
        )
    except FilterError as error:
        st.sidebar.error(str(error))
        return current


def period_slider(current: Filters, period: tuple[date, date]) -> tuple[date, date]:
    """The period as a range slider over days named in Bahasa Indonesia ("11 Apr 2020").

    Replaces ``st.date_input``, whose calendar cannot be localised (English month and day
    names, weeks from Sunday) and whose typed dates only count after Enter and a click
    elsewhere; arrow keys move a slider thumb one day (docs/ACCESSIBILITY.md)."""
    last = max(period[1], current.date_to)
    days = [PROGRAMME_START + timedelta(days=n) for n in range((last - PROGRAMME_START).days + 1)]
    start, end = st.select_slider(
        "Periode",
        options=days,
        value=(max(current.date_from, PROGRAMME_START), current.date_to),
        format_func=formatting.short_date,
        key="filter_period",
    )
    return start, end


def _multi(
    label: str, options: tuple[str, ...], current: tuple[str, ...], labels: str, key: str
) -> list[str]:
    names = BREAKDOWN_LABELS[labels]
    return st.multiselect(
        label,
        options=list(options),
        default=list(current),
        format_func=lambda value: names.get(value, value),
        placeholder="Semua",
        key=f"filter_{key}",
        select_all=NO_SELECT_ALL,
    )
