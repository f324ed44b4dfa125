"""The view state in the URL: every screen, filter, region and metric is a shareable link.

Invalid URL values are dropped and collected as notices that the page shows, never raised.
The filters are also remembered in the session: a sidebar link opens the next page with an
empty URL, and the choices made on one page must still hold there and on the way back. A URL
that carries any filter (a shared link) wins over what is remembered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import streamlit as st

from queries.filters import QUERY_KEYS, Filters, from_query_params

FILTER_KEYS = tuple(QUERY_KEYS.values())
REMEMBERED = "_pilihan_filter"
"""Session key of the last filters a page showed, in their URL form (not a widget key)."""
LAST_PAGE = "_halaman_terakhir"
"""Session key of the page the previous run drew."""


def carry_filters(page: str) -> None:
    """On arriving at another page with no filter in its URL (a sidebar link), put the
    remembered filters into the URL, where the page reads them. A URL with filters (a shared
    link) wins; a rerun of the same page keeps its own URL, also when it has no filters."""
    arrived = st.session_state.get(LAST_PAGE) not in (None, page)
    st.session_state[LAST_PAGE] = page
    if arrived and not any(st.query_params.get(key) for key in FILTER_KEYS):
        _sync_keys(FILTER_KEYS, st.session_state.get(REMEMBERED, {}))


def read_filters(default_from: date, default_to: date) -> tuple[Filters, list[str]]:
    """Filters from the URL, defaulting to the store's data period."""
    params = {key: st.query_params.get(key, "") for key in FILTER_KEYS}
    return from_query_params(params, default_to=default_to, default_from=default_from)


def write_filters(
    filters: Filters, default_from: date, default_to: date, keep_finer_region: bool = False
) -> None:
    """Mirror the filters into the URL, leaving other keys (metric, level…) alone, and
    remember them for the next page. A page that shows a coarser region than the user chose
    (Nasional a regency's province, Bandingkan the nation) passes ``keep_finer_region``, so
    that Daerah Saya still opens on the regency."""
    wanted = filters.to_query_params(default_to=default_to)
    if filters.date_from == default_from:
        wanted.pop("dari", None)
    _sync_keys(FILTER_KEYS, wanted)
    region = wanted.get("wilayah", "")
    st.session_state[REMEMBERED] = {
        **wanted,
        "wilayah": _finer_within(region) if keep_finer_region else region,
    }


def remembered_region(default: str) -> str:
    """The region chosen last in this session, for a page without the filter panel."""
    return st.session_state.get(REMEMBERED, {}).get("wilayah") or default


def remember_region(code: str) -> None:
    """Remember a region picked on a page without the filter panel (a province keeps a
    remembered regency inside it: the user has not left it)."""
    st.session_state.setdefault(REMEMBERED, {})["wilayah"] = _finer_within(code)


def _finer_within(shown: str) -> str:
    """The remembered region if it lies inside ``shown`` ("" is the nation), else ``shown``."""
    remembered = st.session_state.get(REMEMBERED, {}).get("wilayah", "")
    return remembered if remembered.startswith(shown) else shown


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
