"""Small shared controls whose value also lives in the URL."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.metric_options import BY_URL_NAME, DEFAULT_METRIC, MetricOption


def metric_select(
    label: str, current: MetricOption, key: str, container=st, help: str | None = None
) -> MetricOption:
    """Pick the metric for a map or ranking; mirrored into the URL as ``metrik``."""
    names = list(BY_URL_NAME)
    chosen = container.selectbox(
        label,
        options=names,
        index=names.index(current.url_name),
        format_func=lambda name: BY_URL_NAME[name].label,
        placeholder="Pilih ukuran…",
        key=key,
        help=help,
    )
    state.write_value("metrik", chosen, DEFAULT_METRIC.url_name)
    return BY_URL_NAME[chosen]


def region_picker(label: str, regions: dict[str, str], key: str) -> str | None:
    """The keyboard path to what a map click does: pick a region by name from a list.
    Returns the code picked on this run, or None; the list then resets to its prompt."""
    choice = st.selectbox(
        label,
        options=list(regions),
        index=None,
        format_func=regions.get,
        placeholder="Pilih wilayah…",
        key=key,
    )
    if choice is None:
        return None
    del st.session_state[key]
    return choice
