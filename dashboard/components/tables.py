"""Tables shown on screen, with numbers already in Indonesian formats.

Pre-formatted text is used on purpose: the browser's locale would otherwise decide the
thousands separator. Ordering is done before formatting. Tables are HTML (``st.table``), not
the canvas data grid: its cells wrap instead of being cut off, screen readers read them, and
there is no English toolbar ("Download as CSV", "Search") that cannot be translated.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import formatting
from dashboard.metric_options import BY_KEY, RATE_BASES, MetricOption
from dashboard.settings import suppression_threshold
from geo.classify import EMPTY_LABEL, hidden_label
from queries.suppression import hidden_figures

TABLE_COLUMNS = ("registrants", "recipients", "completed", "paid", "paid_idr")


def ranking_frame(values: pd.DataFrame, option: MetricOption) -> pd.DataFrame:
    """Regions ordered by the chosen metric (missing values last), formatted for display: rank,
    region, the metric ("disembunyikan (<10)" where suppression hid it) and, for a rate, the
    count behind it (four columns fit a phone)."""
    ordered = values.sort_values(option.key, ascending=False, na_position="last")
    shown = ordered[option.key].map(option.format)
    hidden = hidden_figures(ordered, option.key)
    table = pd.DataFrame(
        {
            "No.": range(1, len(ordered) + 1),
            "Wilayah": ordered["name"].to_numpy(),
            option.label: shown.mask(hidden, hidden_label(suppression_threshold())).to_numpy(),
        }
    )
    base = BY_KEY[RATE_BASES.get(option.key, "registrants")]
    if base.key != option.key:
        table[base.label] = ordered[base.key].map(base.format).to_numpy()
    return table


def ranking_table(
    values: pd.DataFrame, option: MetricOption, description: str, height: int = 420
) -> None:
    """The ranking, scrolling within ``height``; ``description`` is its accessible name. When
    no region has a figure above zero (a period before the programme, say) it says so instead
    of ranking every region at 0."""
    if not (pd.to_numeric(values[option.key], errors="coerce") > 0).any():
        st.info(f"{EMPTY_LABEL}: belum ada yang dapat diperingkat.")
        return
    show_table(ranking_frame(values, option), description=description, height=height)


def show_table(
    frame: pd.DataFrame,
    index_title: str | None = None,
    *,
    description: str | None = None,
    height: int | None = None,
) -> None:
    """An HTML table. A named index (``index_title``) becomes the first column, so its
    header is a real column header; otherwise the index is hidden."""
    if index_title is not None:
        frame = frame.rename_axis(index_title).reset_index()
    st.table(frame, hide_index=True, height=height or "content", alt=description)


def comparison_frame(rows: dict[str, pd.Series], per_capita: bool = False) -> pd.DataFrame:
    """Rows = regions (in the order given), columns = metrics, formatted: the side-by-side
    figures table. One row per region keeps it narrow enough for a phone with six regions.

    ``per_capita`` divides every figure by the row's ``population`` (per 1.000 people; Rupiah
    per person), so a small province can be compared with a large one."""
    if per_capita:
        columns = {
            f"{BY_KEY[key].label} per 1.000 penduduk": [
                formatting.rate_per_1000(row[key] / row["population"] * 1000)
                for row in rows.values()
            ]
            for key in TABLE_COLUMNS[:-1]
        }
        columns["Insentif dibayar per penduduk"] = [
            formatting.rupiah(row["paid_idr"] / row["population"]) for row in rows.values()
        ]
    else:
        columns = {
            BY_KEY[key].label: [BY_KEY[key].format(row[key]) for row in rows.values()]
            for key in TABLE_COLUMNS
        }
    return pd.DataFrame(columns, index=list(rows))
