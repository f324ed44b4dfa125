"""Where to focus outreach: regions ranked by how far they fall below their parent region.

Pure pandas, used by the "Daerah Saya" screen and the slide deck alike. Two gaps count, both
relative to the parent. Regencies and provinces (against the province, or the nation):
registrants per 1,000 population (reach) and recipients per registrant (conversion).
Kecamatan have no population in the reference, so against their regency they are ranked by
recipients per registrant and by first trainings completed per recipient (where people need
help to finish online training). The score is the sum of the two relative shortfalls, so a
region 30% short on one and 10% short on the other scores 0.4.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

import pandas as pd

from dashboard import formatting
from queries.metrics import add_rates
from queries.suppression import with_rates


class Gap(NamedTuple):
    """One rate a region is compared on: its column, its words in a reason, its format."""

    column: str
    words: str
    format: Callable[[float], str]


REGION_GAPS = (
    Gap("registrants_per_1000", "pendaftar per 1.000 penduduk", formatting.rate_per_1000),
    Gap("recipient_rate", "penerima per pendaftar", formatting.percent),
)
DISTRICT_GAPS = (
    Gap("recipient_rate", "penerima per pendaftar", formatting.percent),
    Gap("completion_rate", "penyelesaian pelatihan per penerima", formatting.percent),
)
DISPLAY_COLUMNS = {
    "name": "Wilayah",
    "gap_score": "Skor kesenjangan",
    "reason": "Alasan",
    "last_event": "Kegiatan terakhir",
}


def _shortfall(value: float, reference: float) -> float:
    """Relative gap below the reference (0 when at or above it, or when unknown)."""
    if _missing(value) or _missing(reference) or reference <= 0:
        return 0.0
    return max(0.0, 1.0 - value / reference)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _reason(
    row: Mapping[str, float],
    reference: Mapping[str, float],
    reference_name: str,
    gaps: tuple[Gap, ...],
) -> str:
    """The gaps in words, e.g. "Pendaftar per 1.000 penduduk 23% di bawah provinsi" (the rates
    themselves are in their own columns)."""
    parts = []
    for gap in gaps:
        shortfall = _shortfall(row[gap.column], reference[gap.column])
        share = formatting.percent(shortfall, 0)
        # a gap that rounds to "0%" says nothing: it is left out (and the region reads as level)
        if shortfall > 0 and share != "0%":
            parts.append(f"{gap.words} {share} di bawah {reference_name}")
    if not parts:
        if any(_missing(row[gap.column]) for gap in gaps):
            return "Data terlalu sedikit untuk dibandingkan"
        return f"Setara atau di atas {reference_name}"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def outreach_priorities(
    regions: pd.DataFrame,
    reference: pd.Series,
    reference_name: str = "provinsi",
    gaps: tuple[Gap, ...] = REGION_GAPS,
) -> pd.DataFrame:
    """Regions ranked by gap_score (largest gap first; ties by name): code, name, the gaps'
    rate columns, gap_score, reason.

    ``regions`` needs code, name and either the gaps' rates or the counts they come from
    (rates are then computed; reach needs ``population``). ``reference`` is the parent's row
    with the same rates; ``reference_name`` names it in the reasons ("provinsi", "nasional",
    "kabupaten/kota").
    """
    rates = [gap.column for gap in gaps]
    missing_reference = [rate for rate in rates if rate not in reference]
    if missing_reference:
        raise ValueError(f"'reference' lacks {missing_reference}")
    frame = regions if all(rate in regions for rate in rates) else add_rates(regions)
    out = frame[["code", "name", *rates]].copy()
    for rate in rates:
        out[rate] = pd.to_numeric(out[rate].astype("Float64"), errors="coerce").astype(float)
    # Rows as plain dicts: two ``iterrows`` passes were a tenth of a Daerah Saya run's CPU.
    parent = {rate: reference[rate] for rate in rates}
    rows = out[rates].to_dict("records")
    out["gap_score"] = [sum(_shortfall(row[r], parent[r]) for r in rates) for row in rows]
    out["reason"] = [_reason(row, parent, reference_name, gaps) for row in rows]
    out = out.sort_values(["gap_score", "name"], ascending=[False, True], kind="stable")
    return out[["code", "name", *rates, "gap_score", "reason"]].reset_index(drop=True)


def district_priorities(
    kecamatan: pd.DataFrame, area_totals: pd.Series, reference_name: str
) -> tuple[pd.DataFrame, pd.Series]:
    """The kecamatan of an area ranked against the area's own rates, and that reference row.

    One function for the screen and the deck, so both rank alike. ``area_totals`` are the
    area's protected counts (rates from hidden counts stay unknown, not 0); the "kecamatan
    tidak dikenal" row is left out: there is no place to send a desk to."""
    reference = with_rates(area_totals.to_frame().T).iloc[0]
    known = kecamatan[kecamatan["known"]].reset_index(drop=True)
    ranked = outreach_priorities(known, reference, reference_name, DISTRICT_GAPS)
    return ranked, reference


PICKED_MARK = " (pilihan Anda)"


def display_frame(
    ranked: pd.DataFrame,
    limit: int | None = None,
    picked: str | None = None,
    last_events: Mapping[str, date] | None = None,
    gaps: tuple[Gap, ...] = REGION_GAPS,
) -> pd.DataFrame:
    """The ranking as text columns with Bahasa headers, for screens and slides; the region
    the user ``picked`` (a code) is marked in words, so it is found without colour. With
    ``last_events`` (region code → first day of its latest outreach event) a column says when
    each region last had one."""
    rows = ranked if limit is None else ranked.head(limit)
    names = [
        name + (PICKED_MARK if code == picked else "")
        for code, name in zip(rows["code"], rows["name"], strict=True)
    ]
    out = pd.DataFrame({DISPLAY_COLUMNS["name"]: names})
    for gap in gaps:
        out[gap.words[0].upper() + gap.words[1:]] = rows[gap.column].map(gap.format).to_numpy()
    out[DISPLAY_COLUMNS["gap_score"]] = rows["gap_score"].map(lambda v: formatting.number(v, 2))
    out[DISPLAY_COLUMNS["reason"]] = rows["reason"].to_numpy()
    if last_events is not None:
        out[DISPLAY_COLUMNS["last_event"]] = [
            formatting.long_date(last_events[code]) if code in last_events else "Belum ada"
            for code in rows["code"]
        ]
    return out.reset_index(drop=True)
