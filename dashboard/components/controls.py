"""Small shared controls: metric and region pickers whose value lives in the URL, and a
date field in Bahasa."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import ModuleType
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_tab_container import TabContainer as Tab

from dashboard import state
from dashboard.metric_options import (
    BY_URL_NAME,
    DEFAULT_METRIC,
    METRIC_OPTIONS,
    MetricOption,
)

T = TypeVar("T")
Container = DeltaGenerator | ModuleType
"""Where a widget goes: the ``st`` module itself (the main area), a column or the sidebar."""


def metric_select(
    label: str,
    current: MetricOption,
    key: str,
    container: Container = st,
    help: str | None = None,
    *,
    options: tuple[MetricOption, ...] = METRIC_OPTIONS,
    url_key: str = "metrik",
    default: MetricOption = DEFAULT_METRIC,
) -> MetricOption:
    """Pick the metric for a map or ranking among ``options``; mirrored into the URL as
    ``url_key``."""
    names = [option.url_name for option in options]
    current = current if current.url_name in names else default
    chosen = container.selectbox(
        label,
        options=names,
        index=names.index(current.url_name),
        format_func=lambda name: BY_URL_NAME[name].label,
        placeholder="Pilih ukuran…",
        key=key,
        help=help,
    )
    state.write_value(url_key, chosen, default.url_name)
    return BY_URL_NAME[chosen]


def follow_url(key: str, value: object) -> None:
    """Make the keyed widget about to be drawn show ``value``, the URL's choice, when the URL
    changed since the last run (a map click, a shared link) or the widget is new; a choice the
    user just made in the widget stands (the URL follows it on this run). Streamlit logs a
    warning for a widget with both a default and a state value unless
    ``global.disableWidgetStateDuplicationWarning`` is set (``.streamlit/config.toml``)."""
    seen = f"{key}__url"
    changed = st.session_state.get(seen, value) != value
    st.session_state[seen] = value
    if changed or key not in st.session_state:
        st.session_state[key] = value


def url_selectbox(
    container: Container,
    label: str,
    options: Sequence[T],
    value: T,
    key: str,
    format_func: Callable[[T], str],
    horizontal_radio: bool = False,
) -> T:
    """A selectbox (or a horizontal radio) whose choice lives in the URL: it shows ``value``
    from the URL, follows the URL when a map click or link changes it, and returns the
    user's choice."""
    follow_url(key, value)
    index = list(options).index(value)  # not clearable, and the same choice as the state
    if horizontal_radio:
        chosen = container.radio(
            label, options, index=index, format_func=format_func, horizontal=True, key=key
        )
    else:
        chosen = container.selectbox(
            label,
            options,
            index=index,
            format_func=format_func,
            key=key,
            placeholder=f"Pilih {label.lower()}…",  # else Streamlit's "Choose an option"
        )
    return value if chosen is None else chosen


def url_tabs(sections: dict[str, str], value: str, key: str, url_key: str) -> tuple[str, Tab]:
    """Tabs (``sections``: URL name → label) of which only the open one is drawn: Streamlit
    reruns on a tab switch and runs the open tab's content only, so a view builds one section
    instead of all of them (half of a Daerah Saya run's CPU, issue #23 item 9). The open tab
    lives in the URL as ``url_key`` (left out for the first); ``value`` is the URL's choice.
    Returns the open tab's URL name and its container."""
    names = list(sections)
    value = value if value in sections else names[0]
    follow_url(key, sections[value])
    tabs = st.tabs(list(sections.values()), key=key, on_change="rerun")
    chosen = next((name for name, tab in zip(names, tabs, strict=True) if tab.open), value)
    state.write_value(url_key, chosen, names[0])
    return chosen, tabs[names.index(chosen)]


def region_picker(label: str, regions: dict[str, str], key: str) -> str | None:
    """The keyboard path to what a map click does: pick a region by name from a list.
    Returns the code picked on this run, or None; the list then resets to its prompt."""
    choice = st.selectbox(
        label,
        options=list(regions),
        index=None,
        format_func=regions.__getitem__,
        placeholder="Pilih wilayah…",
        key=key,
    )
    if choice is None:
        return None
    del st.session_state[key]
    return choice


DATE_HINT = "HH/BB/TTTT"
"""How a date is typed: day/month/year, the way Indonesian forms write it."""
DATE_FORMAT = "%d/%m/%Y"


def date_field(label: str, value: date, key: str, container: Container = st) -> date | None:
    """A date typed as HH/BB/TTTT; None when the text is not a date.

    Replaces ``st.date_input``, whose calendar cannot be localised (English month and day
    names, "Choose date", weeks from Sunday; docs/ACCESSIBILITY.md)."""
    text = container.text_input(
        f"{label} ({DATE_HINT})", value=value.strftime(DATE_FORMAT), key=key, max_chars=10
    )
    try:
        return datetime.strptime(text.strip(), DATE_FORMAT).date()
    except ValueError:
        return None
