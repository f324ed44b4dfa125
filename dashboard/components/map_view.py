"""The interactive map: folium map from geo.maps, rendered with st_folium; clicks → codes.

Counts become proportional symbols and rates a choropleth. Without boundary files the first
start downloads them in the background; until then, or without a network, the map falls back
to symbols at label points and offers the download.
"""

from __future__ import annotations

import fcntl
import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.metric_options import MetricOption
from geo import boundaries
from geo.maps import choropleth_map, clicked_code, symbol_map

MAP_HEIGHT = 520


def region_map(
    values: pd.DataFrame,
    *,
    level: str,
    option: MetricOption,
    key: str,
    focus_province: str | None = None,
    selected_code: str | None = None,
) -> str | None:
    """Draw the map and return the code of a region the user just clicked (or None)."""
    builder = choropleth_map if option.kind == "rate" else symbol_map
    folium_map = builder(
        values,
        level=level,
        value_column=option.key,
        format_value=option.format,
        legend_title=option.label,
        selected_code=selected_code,
        focus_province=focus_province,
    )
    result = st_folium(
        folium_map,
        key=key,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
    return _new_click(key, clicked_code(result))


def _new_click(key: str, code: str | None) -> str | None:
    """st_folium repeats the last click on every rerun: report each click once."""
    seen = f"{key}__last_click"
    if code is None or st.session_state.get(seen) == code:
        return None
    st.session_state[seen] = code
    return code


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
