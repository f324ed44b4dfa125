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
from dashboard.metric_options import BY_KEY, MetricOption

TABLE_COLUMNS = ("registrants", "recipients", "completed", "paid", "paid_idr")


def ranking_frame(values: pd.DataFrame, option: MetricOption) -> pd.DataFrame:
    """Regions ordered by the chosen metric (missing values last), formatted for display."""
    ordered = values.sort_values(option.key, ascending=False, na_position="last")
    table = pd.DataFrame(
        {
            "Peringkat": range(1, len(ordered) + 1),
            "Wilayah": ordered["name"].to_numpy(),
            option.label: ordered[option.key].map(option.format).to_numpy(),
        }
    )
    for key in TABLE_COLUMNS:
        if key != option.key:
            table[BY_KEY[key].label] = ordered[key].map(BY_KEY[key].format).to_numpy()
    return table


def ranking_table(
    values: pd.DataFrame, option: MetricOption, description: str, height: int = 420
) -> None:
    """The ranking, scrolling within ``height``; ``description`` is its accessible name."""
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
    """Columns = regions, rows = metrics, formatted: the side-by-side figures table.

    ``per_capita`` divides every figure by the row's ``population`` (per 1.000 people; Rupiah
    per person), so a small province can be compared with a large one."""
    if per_capita:
        table = {
            name: [
                formatting.number(row[key] / row["population"] * 1000, 2)
                if key != "paid_idr"
                else formatting.rupiah(row[key] / row["population"])
                for key in TABLE_COLUMNS
            ]
            for name, row in rows.items()
        }
        labels = [f"{BY_KEY[key].label} per 1.000 penduduk" for key in TABLE_COLUMNS[:-1]]
        return pd.DataFrame(table, index=[*labels, "Insentif dibayar per penduduk"])
    table = {
        name: [BY_KEY[key].format(row[key]) for key in TABLE_COLUMNS] for name, row in rows.items()
    }
    labels = [BY_KEY[key].label for key in TABLE_COLUMNS]
    return pd.DataFrame(table, index=labels)
