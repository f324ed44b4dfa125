"""The top of every screen: title, synthetic-data label, data freshness and notices."""

from __future__ import annotations

import streamlit as st

from dashboard import data, formatting, settings

SYNTHETIC_LABEL = "Data sintetis (demo)"


def page_header(title: str, caption: str, notices: list[str]) -> None:
    """Title, the source label (synthetic data is said on every screen), freshness, notices."""
    st.title(title)
    st.caption(caption)
    if data.is_synthetic():
        st.warning(
            f"**{SYNTHETIC_LABEL}** — angka di layar ini berasal dari replika sintetis yang "
            "dikalibrasi ke angka resmi September 2020, bukan data peserta sesungguhnya.",
            icon=":material/science:",
        )
    _freshness()
    for notice in notices:
        st.info(notice, icon=":material/link_off:")


def _freshness() -> None:
    info = data.meta()
    refreshed = formatting.timestamp(info["refreshed_at"])
    as_of = formatting.timestamp(info["replica_as_of"])
    st.caption(
        f"Data kegiatan {formatting.period(*data.data_period())} · replika per {as_of} · "
        f"diperbarui {refreshed}"
    )
    lag = float(info.get("lag_seconds") or 0)
    if lag > settings.lag_warning_seconds():
        st.warning(
            f"Replika tertinggal {formatting.number(lag / 60)} menit dari basis data utama "
            f"(batas peringatan {formatting.number(settings.lag_warning_seconds() / 60)} "
            "menit): angka terbaru mungkin belum masuk.",
            icon=":material/schedule:",
        )
    problem = data.refresh_problem()
    if problem:
        message, since = problem
        st.error(
            f"Replika tidak dapat dijangkau sejak {formatting.timestamp(since)}. Angka di layar "
            f"adalah data terakhir ({refreshed}). Rincian: {message}",
            icon=":material/cloud_off:",
        )
