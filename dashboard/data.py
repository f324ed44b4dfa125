"""The app's access to the analytics store: cached queries, first-run build, refreshes.

Pages call these functions only. The store is a ``st.cache_resource`` per store version; query
results are ``st.cache_data`` keyed by the version and the (hashable) filters, so a refresh
that publishes a new version invalidates them naturally.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.settings import cache_ttl_seconds
from queries import bootstrap, metrics, refresh_service
from queries.filters import Filters
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError
from queries.settings import REFRESH_MINUTES, ConfigError
from queries.store import CurrentStore, Store, current_version

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
    """First start: build the demo replica and the store, with a visible progress bar."""
    bar = st.progress(0.0, text="Menyiapkan data untuk pertama kali…")

    def report(step: str, fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=f"Menyiapkan data untuk pertama kali: {step}…")

    bootstrap.ensure_store(progress=report)
    bar.empty()


def store_version() -> str:
    """The current store version, building the very first one if needed."""
    directory = bootstrap.default_store_dir()
    path = current_version(directory)
    if path is None or not _usable(path.name):
        _build_first_store()
        path = current_version(directory)
    _refresher().maybe_start()
    return path.name


def store() -> Store:
    return _open_store(store_version())


@dataclass
class RefreshState:
    """Background refresh of the store from the replica, once per interval per process."""

    running: bool = False
    last_error: str | None = None
    failing_since: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def due(self) -> bool:
        minutes = float(REFRESH_MINUTES.get() or 0)
        path = current_version(bootstrap.default_store_dir())
        if minutes <= 0 or path is None:
            return False
        refreshed = datetime.fromisoformat(_meta(path.name)["refreshed_at"])  # cached
        return datetime.now().astimezone() - refreshed > timedelta(minutes=minutes)

    def maybe_start(self) -> None:
        with self.lock:
            if self.running or not self.due():
                return
            self.running = True
        threading.Thread(target=self._run, daemon=True, name="store-refresh").start()

    def _run(self) -> None:
        try:
            bootstrap.refresh()
            self.last_error, self.failing_since = None, None
        except (ReplicaUnavailableError, ReplicaTimeoutError, ConfigError, OSError) as error:
            self.last_error = str(error)
            self.failing_since = self.failing_since or datetime.now().astimezone()
        finally:
            self.running = False


@st.cache_resource(show_spinner=False)
def _refresher() -> RefreshState:
    return RefreshState()


def refresh_problem() -> tuple[str, datetime] | None:
    """The last refresh error and since when it fails, for the banner; None when healthy."""
    state = _refresher()
    if state.last_error:
        return state.last_error, state.failing_since
    service = refresh_service.read_status(bootstrap.default_store_dir())  # when one runs
    if service and service.last_error and service.failing_since:
        return service.last_error, datetime.fromisoformat(service.failing_since)
    return None


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


@st.cache_data(ttl=TTL, show_spinner=False)
def _query(name: str, version: str, filters: Filters, args: tuple) -> pd.DataFrame:
    return getattr(metrics, name)(_open_store(version), filters, *args)


def totals(filters: Filters) -> pd.Series:
    """The metric columns for the filters' region, as a Series."""
    return _query("totals", store_version(), filters, ()).iloc[0]


def unknown_code_totals(filters: Filters) -> pd.Series:
    return _query("unknown_code_totals", store_version(), filters, ()).iloc[0]


def region_metrics(filters: Filters, level: str) -> pd.DataFrame:
    """Per-region metrics with rates (see ``queries.metrics.region_metrics``)."""
    frame = _query("region_metrics", store_version(), filters, (level,))
    return metrics.add_rates(frame)


def weekly_series(filters: Filters) -> pd.DataFrame:
    return _query("weekly_series", store_version(), filters, ())


def breakdown(filters: Filters, dimension: str) -> pd.DataFrame:
    return _query("breakdown", store_version(), filters, (dimension,))


def funnel(filters: Filters) -> pd.DataFrame:
    return _query("funnel", store_version(), filters, ())


@st.cache_data(ttl=TTL, show_spinner=False)
def _unknown_codes(version: str) -> pd.DataFrame:
    return metrics.unknown_codes(_open_store(version))


def unknown_codes() -> pd.DataFrame:
    return _unknown_codes(store_version())
