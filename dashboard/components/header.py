"""The top of every screen: title, synthetic-data label, data freshness and notices."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard import data, formatting, settings
from synthetic.calibration import PUBLISHED_TOTALS, target_counts

SYNTHETIC_LABEL = "Data sintetis (demo)"


def page_header(title: str, caption: str, notices: list[str]) -> None:
    """Title, the source label (synthetic data is said on every screen), freshness, notices."""
    st.title(title)
    st.caption(caption)
    if data.is_synthetic():
        st.warning(synthetic_banner(float(data.meta().get("population_scale") or 1)))
    _freshness()
    for notice in notices:
        st.info(notice)


def synthetic_banner(scale: float) -> str:
    """Say that the figures are synthetic and, below full size, that they are a sample: a
    first look at 795 ribu registrants next to "angka resmi" (15,9 juta) misleads."""
    official = formatting.compact(PUBLISHED_TOTALS["registrants"])
    if scale >= 1:
        return (
            f"**{SYNTHETIC_LABEL}** — angka di layar ini berasal dari replika sintetis yang "
            f"dikalibrasi ke angka resmi September 2020 ({official} pendaftar), bukan data "
            "peserta sesungguhnya."
        )
    share = formatting.percent(scale, decimals=0 if scale >= 0.01 else 1)
    sample = formatting.compact(target_counts(scale)["registrants"])
    return (
        f"**{SYNTHETIC_LABEL}** — angka di layar ini berasal dari replika sintetis, bukan data "
        f"peserta sesungguhnya: sampel {share} dari ukuran program yang dikalibrasi ke angka "
        f"resmi September 2020 ({official} pendaftar), di sini sekitar {sample} pendaftar."
    )


def _freshness() -> None:
    info = data.meta()
    refreshed = datetime.fromisoformat(info["refreshed_at"])
    as_of = formatting.timestamp(info["replica_as_of"])
    st.caption(
        f"Data kegiatan {formatting.period(*data.data_period())} · replika per {as_of} · "
        f"diperbarui {formatting.timestamp(refreshed)}"
    )
    lag = float(info.get("lag_seconds") or 0)
    if lag > settings.lag_warning_seconds():
        st.warning(
            f"Replika tertinggal {formatting.number(lag / 60)} menit dari basis data utama "
            f"(batas peringatan {formatting.number(settings.lag_warning_seconds() / 60)} "
            "menit): angka terbaru mungkin belum masuk.",
        )
    problem = data.refresh_problem()
    if problem:
        reason, since = problem
        st.error(
            f"Penyegaran data gagal sejak {formatting.timestamp(since)}: {reason} Angka di layar "
            f"adalah data terakhir, diperbarui {formatting.timestamp(refreshed)} "
            f"({data_age(refreshed)} yang lalu).",
        )
    writable = info.get("replica_writable")
    if writable:
        st.warning(
            f"Peran basis data replika dapat menulis ({writable}); risiko ini diterima lewat "
            "pengaturan PRAKERJA_ACCEPT_WRITABLE_REPLICA. Gunakan peran yang hanya boleh SELECT.",
        )


def data_age(refreshed: datetime) -> str:
    """How old the shown data is, in words: ``2 hari 3 jam``, ``45 menit``."""
    minutes = max(0, int((datetime.now().astimezone() - refreshed).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "hari"), (hours, "jam"), (minutes, "menit")]
    words = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(words) or "kurang dari 1 menit"
