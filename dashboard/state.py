"""The view state in the URL: every screen, filter, region and metric is a shareable link.

Invalid URL values are dropped and collected as notices that the page shows, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import streamlit as st

from queries.filters import QUERY_KEYS, Filters, from_query_params

FILTER_KEYS = tuple(QUERY_KEYS.values())


def read_filters(default_from: date, default_to: date) -> tuple[Filters, list[str]]:
    """Filters from the URL, defaulting to the store's data period."""
    params = {key: st.query_params.get(key, "") for key in FILTER_KEYS}
    return from_query_params(params, default_to=default_to, default_from=default_from)


def write_filters(filters: Filters, default_from: date, default_to: date) -> None:
    """Mirror the filters into the URL, leaving other keys (metric, level…) alone."""
    wanted = filters.to_query_params(default_to=default_to)
    if filters.date_from == default_from:
        wanted.pop("dari", None)
    _sync_keys(FILTER_KEYS, wanted)


def _sync_keys(keys: Iterable[str], wanted: dict[str, str]) -> None:
    for key in keys:
        value = wanted.get(key)
        if value and st.query_params.get(key) != value:
            st.query_params[key] = value
        elif not value and key in st.query_params:
            del st.query_params[key]


def read_choice(key: str, allowed: Iterable[str], default: str, notices: list[str]) -> str:
    """One value from a fixed list; anything else is dropped with a notice."""
    raw = st.query_params.get(key, "")
    allowed = tuple(allowed)
    if raw and raw not in allowed:
        notices.append(f"Parameter '{key}' diabaikan: nilai {raw[:30]!r} tidak dikenal.")
        return default
    return raw or default


def read_codes(key: str, allowed: Iterable[str], notices: list[str], most: int) -> list[str]:
    """A comma-separated list of codes from a fixed set, at most ``most`` of them."""
    allowed = set(allowed)
    raw = [part.strip() for part in st.query_params.get(key, "")[:200].split(",") if part.strip()]
    unknown = [code for code in raw if code not in allowed]
    if unknown:
        notices.append(f"Parameter '{key}' diabaikan sebagian: kode {', '.join(unknown)[:60]}.")
    kept = list(dict.fromkeys(code for code in raw if code in allowed))
    if len(kept) > most:
        notices.append(f"Parameter '{key}': paling banyak {most} wilayah; sisanya diabaikan.")
    return kept[:most]


def write_value(key: str, value: str | None, default: str | None = None) -> None:
    """Set one URL key, removing it when it equals the default."""
    _sync_keys((key,), {key: value} if value and value != default else {})


def read_flag(key: str) -> bool:
    """An on/off switch kept in the URL as ``key=1`` (absent means off)."""
    return st.query_params.get(key, "") == "1"
