"""The interactive map: our Leaflet component (``region_map/``) drawing a map spec; clicks → codes.

Counts become proportional symbols and rates a choropleth (``geo.map_spec`` decides classes,
colours and labels). The regions come from static, content-hashed boundary files
(``geo.boundary_files``, under ``dashboard/static/boundaries/``: ``/app/static/boundaries/``),
which the browser fetches once; every rerun sends only the spec. Without boundary files the
first start downloads them in the background; until then, or without a network, the map
falls back to symbols at label points and offers the download.
"""

from __future__ import annotations

import fcntl
import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from dashboard.cache_keys import HASH_FUNCS
from dashboard.metric_options import BY_KEY, MetricOption
from dashboard.static_paths import (
    BOUNDARY_DIR,
    BOUNDARY_URL,
    MAP_COMPONENT_DIR,
    map_component_url,
)
from geo import boundaries
from geo.boundaries import AnyLevel
from geo.boundary_files import BoundaryFile, boundary_file
from geo.map_spec import map_spec

# the worker serves the page from ``path``; the browser asks for it at ``url`` (the same page,
# with its hash), which the static sidecar answers when there is one
_component = components.declare_component(
    "region_map", path=str(MAP_COMPONENT_DIR), url=map_component_url()
)


def region_map(
    values: pd.DataFrame,
    *,
    level: AnyLevel,
    option: MetricOption,
    key: str,
    focus_province: str | None = None,
    selected_code: str | None = None,
) -> str | None:
    """Draw the map and return the code of a region the user just clicked (or None)."""
    try:
        shapes = boundary_file(BOUNDARY_DIR, level, focus_province)
    except OSError:  # the boundary folder is not writable and the build step did not fill it
        shapes = None
    name = shapes.name if shapes else None
    spec = _spec(values, level, option.key, focus_province, selected_code, name, shapes)
    return _new_click(key, _component(spec=spec, key=key, default=None))


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=HASH_FUNCS)
def _spec(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    focus_province: str | None,
    selected_code: str | None,
    boundary_name: str | None,
    _shapes: BoundaryFile | None,
) -> dict:
    """The map spec, built once per (values, view, boundary file): many tabs show the same
    views, and a rerun that changes something else on the page redraws an unchanged map."""
    option = BY_KEY[metric]
    return map_spec(
        values,
        level=level,
        kind=option.kind,
        value_column=option.key,
        format_value=option.format,
        legend_title=option.label,
        boundaries=_shapes,
        boundary_url=BOUNDARY_URL + boundary_name if boundary_name else None,
        selected_code=selected_code,
        focus_province=focus_province,
    )


def _new_click(key: str, value: dict | None) -> str | None:
    """The component's value stays the last click across reruns: report each click once."""
    seen = f"{key}__last_click"
    if not value or st.session_state.get(seen) == value.get("click"):
        return None
    st.session_state[seen] = value.get("click")
    return str(value["code"])


@dataclass
class BoundaryFetch:
    """The first start's background download of the boundaries (one per process)."""

    done: int = 0
    total: int = 0
    error: str | None = None
    finished: bool = False

    def run(self) -> None:
        """Download under a file lock, so the workers of one machine download once."""
        try:
            directory = boundaries.cache_dir()
            directory.mkdir(parents=True, exist_ok=True)
            with (directory / ".fetch.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not boundaries.boundaries_available():
                    boundaries.fetch(progress=self._progress)
        except (boundaries.BoundaryError, OSError) as error:
            self.error = str(error)
        finally:
            self.finished = True

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total


@st.cache_resource(show_spinner=False)
def _background_fetch() -> BoundaryFetch:
    fetch = BoundaryFetch()
    threading.Thread(target=fetch.run, daemon=True, name="boundary-fetch").start()
    return fetch


def boundary_offer() -> None:
    """Boundaries missing: download them in the background on first start (pinned, SHA-256
    checked) with progress; without a network say so and offer the download again."""
    if boundaries.boundaries_available():
        return
    fetch = _background_fetch()
    if not fetch.finished:
        _fetch_progress(fetch)
        return
    with st.expander("Batas wilayah belum tersedia — peta memakai simbol di titik ibu kota"):
        st.write(
            "Unduhan otomatis gagal (tidak ada koneksi internet?). Unduh batas provinsi dan "
            "kabupaten/kota (cahyadsn/wilayah_boundaries, MIT) sekali saja, atau jalankan "
            "`python -m geo fetch --from FOLDER` dari salinan lokal."
        )
        if st.button("Unduh batas wilayah"):
            bar = st.progress(0.0, text="Mengunduh batas wilayah…")
            try:
                boundaries.fetch(progress=lambda done, total: bar.progress(done / total))
            except (boundaries.BoundaryError, OSError) as error:
                bar.empty()
                st.error(
                    "Batas wilayah tidak dapat diunduh (tidak ada koneksi internet?). Peta tetap "
                    f"memakai simbol. Rincian: {error}"
                )
            else:
                st.rerun()


@st.fragment(run_every=1.0)
def _fetch_progress(fetch: BoundaryFetch) -> None:
    """Redrawn every second while the download runs; the whole page reruns when it ends."""
    if fetch.finished:
        st.rerun()
    share = fetch.done / fetch.total if fetch.total else 0.0
    st.progress(share, text="Mengunduh batas wilayah untuk peta (sekali saja)…")
