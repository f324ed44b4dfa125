"""The app's access to the analytics store: cached queries, first-run build, refreshes.

Pages call these functions only. The store is a ``st.cache_resource`` per store version; query
results are ``st.cache_data`` keyed by the version and the (hashable) filters, so a refresh
that publishes a new version invalidates them naturally.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.settings import cache_ttl_seconds, suppression_threshold
from geo.regions import NATION_CODE
from queries import bootstrap, metrics, sync
from queries.filters import Filters
from queries.health import RefreshHealth, read_health
from queries.settings import refresh_minutes
from queries.store import CurrentStore, Store, current_version
from queries.suppression import ProtectedFigures

LOG = logging.getLogger(__name__)

TTL = cache_ttl_seconds()


@st.cache_resource(show_spinner=False)
def _stores() -> CurrentStore:
    """One per process: follows new versions, holds leases, closes superseded versions."""
    return CurrentStore(bootstrap.default_store_dir())


def _open_store(version: str) -> Store:
    return _stores().get(version)


@st.cache_resource(show_spinner=False)
def _usable(version: str) -> bool:
    """Checked once per store version: was it built by this code's schema?"""
    return bootstrap.store_is_usable(bootstrap.default_store_dir() / version)


def _build_first_store() -> None:
    """First start: build the demo replica and the store, with a visible progress bar.

    Visitors arriving while another builds wait on the same bar (the build holds the lock)."""
    bar = st.progress(0.0, text="Menyiapkan data untuk pertama kali (atau menunggu penyiapan)…")

    def report(step: str, fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=f"Menyiapkan data untuk pertama kali: {step}…")

    bootstrap.ensure_store(progress=report, notify=lambda line: st.warning(line))
    bar.empty()


@st.cache_resource(show_spinner=False)
def _replica_checked() -> bool:
    """Once per process: a configured replica's role must not be able to write (raises
    ``WritableReplicaError``, shown by the app, until fixed or accepted)."""
    bootstrap.check_configured_replica()
    return True


def store_version() -> str:
    """The current store version, building the very first one if needed."""
    _replica_checked()
    directory = bootstrap.default_store_dir()
    path = current_version(directory)
    if path is None or not _usable(path.name):
        _build_first_store()
        path = current_version(directory)
        assert path is not None  # _build_first_store published a version or raised
    _refresher().maybe_start()
    return path.name


def store() -> Store:
    return _open_store(store_version())


@dataclass
class RefreshState:
    """Background refresh of the store from the replica, once per interval per process.

    A failed refresh is retried with exponential back-off (30 s, doubling, at most the refresh
    interval); the outcome lives in the store directory (:mod:`queries.health`), so every
    process and every screen sees the same reason."""

    running: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def due(self) -> bool:
        minutes = refresh_minutes()
        if minutes <= 0:  # served workers: every data call passes here, so nothing else first
            return False
        directory = bootstrap.default_store_dir()
        path = current_version(directory)
        if path is None:
            return False
        interval = timedelta(minutes=minutes)
        health = read_health(directory)
        now = datetime.now().astimezone()
        if health.failing:
            return now >= health.next_attempt(interval)
        refreshed = datetime.fromisoformat(_meta(path.name)["refreshed_at"])  # cached
        return now - refreshed > interval

    def maybe_start(self) -> None:
        with self.lock:
            if self.running or not self.due():
                return
            self.running = True
        threading.Thread(target=self._run, daemon=True, name="store-refresh").start()

    def _run(self) -> None:
        try:
            sync.refresh()  # records success or failure for the banners itself
        except Exception:  # the thread has no caller: the log is where the details go
            LOG.exception("Penyegaran data di latar belakang gagal")
        finally:
            self.running = False


@st.cache_resource(show_spinner=False)
def _refresher() -> RefreshState:
    return RefreshState()


def refresh_health() -> RefreshHealth:
    """The recorded outcome of the last refresh of this store directory."""
    return read_health(bootstrap.default_store_dir())


def refresh_problem() -> tuple[str, datetime] | None:
    """The last refresh error and since when refreshes fail, for the banner; None when
    healthy."""
    health = refresh_health()
    if not health.failing:
        return None
    return health.reason, datetime.fromisoformat(health.failing_since)


@st.cache_data(ttl=TTL, show_spinner=False)
def _meta(version: str) -> dict[str, str]:
    return _open_store(version).meta()


def meta() -> dict[str, str]:
    """Source kind, replica as-of time, refresh time and data period of the current store."""
    return _meta(store_version())


def data_period() -> tuple[date, date]:
    info = meta()
    return date.fromisoformat(info["data_from"]), date.fromisoformat(info["data_until"])


def is_synthetic() -> bool:
    return meta().get("source_kind") == "demo"


def _key(filters: Filters) -> str:
    """The cache key of the filters: their repr names every field. Streamlit hashing the
    dataclass itself took ~0.2 ms per cached call, 6 % of a first view (py-spy)."""
    return repr(filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _query(name: str, version: str, key: str, _filters: Filters, args: tuple) -> pd.DataFrame:
    return getattr(metrics, name)(_open_store(version), _filters, *args)


@st.cache_resource(max_entries=4, show_spinner=False)  # a few store versions
def _figures(version: str, threshold: int) -> ProtectedFigures:
    """The store's figures with small-cell suppression: the only numbers pages may show.

    One per store version and threshold, so the protected region groups it keeps serve every
    figure of a view (a Daerah Saya view asks for its province's group about ten times)."""

    def fetch(name: str, filters: Filters, *args: object) -> pd.DataFrame:
        return _query(name, version, _key(filters), filters, args)

    return ProtectedFigures(fetch, threshold)


@st.cache_data(ttl=TTL, show_spinner=False)
def _protected(
    name: str, version: str, threshold: int, key: str, _filters: Filters, args: tuple
) -> Any:
    """One ``ProtectedFigures`` result, computed once per store version and view: deciding
    the hidden cells of all 514 regencies took a third of a national rerun's CPU."""
    return getattr(_figures(version, threshold), name)(_filters, *args)


def _protected_now(name: str, filters: Filters, *args: object) -> Any:
    version, threshold = store_version(), suppression_threshold()
    return _protected(name, version, threshold, _key(filters), filters, args)


def totals(filters: Filters) -> pd.Series:
    """The metric columns for the filters' region, as a Series (NA = hidden small count)."""
    return _protected_now("totals", filters)


def unknown_code_totals(filters: Filters) -> pd.Series:
    return _protected_now("unknown_code_totals", filters)


def region_metrics(filters: Filters, level: str) -> pd.DataFrame:
    """Per-region metrics with rates, small counts hidden (``ProtectedFigures``)."""
    return _protected_now("region_metrics", filters, level)


def district_metrics(filters: Filters) -> pd.DataFrame:
    """The kecamatan of the filters' regency (or province), each regency with its "kecamatan
    tidak dikenal" row, small counts hidden inside each regency, with rates and shares."""
    return _protected_now("district_metrics", filters)


def has_district_data() -> bool:
    """Whether the replica sends kecamatan codes (the screens say so in one line if not)."""
    return metrics.has_district_data(store())


def weekly_series(filters: Filters) -> pd.DataFrame:
    return _protected_now("weekly_series", filters)


def breakdown(filters: Filters, dimension: str) -> pd.DataFrame:
    return _protected_now("breakdown", filters, dimension)


def funnel(filters: Filters) -> pd.DataFrame:
    return _protected_now("funnel", filters)


def waves(filters: Filters) -> list[int]:
    """The filter panel's wave choices under the filters (nationwide): the values of the raw
    national wave breakdown. Protection hides counts, never rows, and the counts are not shown
    here, so the protected breakdown's query of the nation's totals and its masking, run on
    every first view of three screens, are skipped."""
    national = filters.with_region(NATION_CODE)
    frame = _query("breakdown", store_version(), _key(national), national, ("wave",))
    return frame["value"].astype(int).tolist()


@st.cache_data(ttl=TTL, show_spinner=False)
def _unknown_codes(version: str) -> pd.DataFrame:
    return metrics.unknown_codes(_open_store(version))


def unknown_codes() -> pd.DataFrame:
    return _unknown_codes(store_version())


@st.cache_data(ttl=TTL, show_spinner=False)
def _quarantine(version: str) -> pd.DataFrame:
    return metrics.quarantine(_open_store(version))


def quarantine() -> pd.DataFrame:
    """Rows left out of the figures, per table and reason (``queries.quality``)."""
    return _quarantine(store_version())
