"""KPI cards: the four people metrics and Rupiah paid, with conversions and the change
against the previous period of equal length."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, formatting
from dashboard.formatting import change
from queries.filters import Filters

CARDS = (
    ("registrants", "Pendaftar", None, None),
    ("recipients", "Penerima", "registrants", "dari pendaftar"),
    ("completed", "Selesai pelatihan", "recipients", "dari penerima"),
    ("paid", "Menerima insentif", "completed", "dari yang selesai"),
)


def kpi_row(filters: Filters) -> pd.Series:
    """Render the cards for ``filters`` and return the totals they show."""
    totals = data.totals(filters)
    previous_filters = filters.previous_period()
    previous = data.totals(previous_filters) if previous_filters else None
    columns = st.columns(len(CARDS) + 1)
    for column, (key, label, base, base_words) in zip(columns, CARDS, strict=False):
        ratio = share(totals, key, base)
        column.metric(
            label,
            formatting.compact(totals[key]),
            delta=_delta(totals[key], None if previous is None else previous[key]),
            help=f"{formatting.number(totals[key])} orang"
            + (f"; {formatting.percent(ratio)} {base_words}" if ratio is not None else ""),
        )
        if ratio is not None:
            column.caption(f"{formatting.percent(ratio)} {base_words}")
    columns[-1].metric(
        "Insentif dibayar",
        formatting.rupiah_compact(totals["paid_idr"]),
        delta=_delta(totals["paid_idr"], None if previous is None else previous["paid_idr"]),
        help=formatting.rupiah(totals["paid_idr"]),
    )
    if previous_filters is None:
        st.caption("Perubahan tidak dihitung: periode sebelumnya jatuh sebelum program dimulai.")
    else:
        st.caption(
            "Perubahan dibanding periode sebelumnya yang sama panjang "
            f"({formatting.period(previous_filters.date_from, previous_filters.date_to)})."
        )
    return totals


def share(totals: pd.Series, key: str, base: str | None) -> float | None:
    """``key`` as a share of ``base``; None when base is absent, zero or either is hidden."""
    if not base or pd.isna(totals[key]) or pd.isna(totals[base]) or not totals[base]:
        return None
    return float(totals[key] / totals[base])


def _delta(now: float, before: float | None) -> str | None:
    relative = change(now, before)
    return None if relative is None else formatting.signed_percent(relative)
