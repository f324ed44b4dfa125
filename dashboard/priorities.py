"""Where to focus outreach: regions ranked by how far they fall below their province.

Pure pandas, used by the "Daerah Saya" screen and the slide deck alike. Two gaps count, both
relative to the province (or, for provinces, the nation): registrants per 1,000 population
(reach) and recipients per registrant (conversion). The score is the sum of the two relative
shortfalls, so a region 30% short on reach and 10% short on conversion scores 0.4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import pandas as pd

from dashboard import formatting
from queries.metrics import add_rates

RATES = ("registrants_per_1000", "recipient_rate")
COLUMNS = ["code", "name", "registrants_per_1000", "recipient_rate", "gap_score", "reason"]
DISPLAY_COLUMNS = {
    "name": "Wilayah",
    "registrants_per_1000": "Pendaftar per 1.000 penduduk",
    "recipient_rate": "Penerima per pendaftar",
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


def _reason(row: pd.Series, reference: pd.Series, reference_name: str) -> str:
    """The gap in words, e.g. "Pendaftar per 1.000 penduduk 23% di bawah provinsi" (the rates
    themselves are in their own columns)."""
    parts = []
    reach = _shortfall(row["registrants_per_1000"], reference["registrants_per_1000"])
    convert = _shortfall(row["recipient_rate"], reference["recipient_rate"])
    # a gap that rounds to "0%" says nothing: it is left out (and the region reads as level)
    reach, convert = (0.0 if formatting.percent(g, 0) == "0%" else g for g in (reach, convert))
    if reach > 0:
        parts.append(
            f"pendaftar per 1.000 penduduk {formatting.percent(reach, 0)} di bawah {reference_name}"
        )
    if convert > 0:
        parts.append(
            f"penerima per pendaftar {formatting.percent(convert, 0)} di bawah {reference_name}"
        )
    if not parts:
        if any(_missing(row[rate]) for rate in RATES):
            return "Data terlalu sedikit untuk dibandingkan"
        return f"Setara atau di atas {reference_name}"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def outreach_priorities(
    regions: pd.DataFrame, reference: pd.Series, reference_name: str = "provinsi"
) -> pd.DataFrame:
    """Regions ranked by gap_score (largest gap first; ties by name): code, name,
    registrants_per_1000, recipient_rate, gap_score, reason.

    ``regions`` needs code, name and either the two rates or registrants, recipients and
    population (rates are then computed). ``reference`` is the province's (or nation's) row
    with the same two rates; ``reference_name`` names it in the reasons ("provinsi",
    "nasional").
    """
    missing_reference = [rate for rate in RATES if rate not in reference]
    if missing_reference:
        raise ValueError(f"'reference' lacks {missing_reference}")
    frame = regions if all(rate in regions for rate in RATES) else add_rates(regions)
    out = frame[["code", "name", *RATES]].copy()
    for rate in RATES:
        out[rate] = pd.to_numeric(out[rate].astype("Float64"), errors="coerce").astype(float)
    out["gap_score"] = [
        _shortfall(row["registrants_per_1000"], reference["registrants_per_1000"])
        + _shortfall(row["recipient_rate"], reference["recipient_rate"])
        for _, row in out.iterrows()
    ]
    out["reason"] = [_reason(row, reference, reference_name) for _, row in out.iterrows()]
    out = out.sort_values(["gap_score", "name"], ascending=[False, True], kind="stable")
    return out[COLUMNS].reset_index(drop=True)


PICKED_MARK = " (pilihan Anda)"


def display_frame(
    ranked: pd.DataFrame,
    limit: int | None = None,
    picked: str | None = None,
    last_events: Mapping[str, date] | None = None,
) -> pd.DataFrame:
    """The ranking as text columns with Bahasa headers, for screens and slides; the region
    the user ``picked`` (a code) is marked in words, so it is found without colour. With
    ``last_events`` (regency → first day of its latest outreach event) a column says when
    each region last had one."""
    rows = ranked if limit is None else ranked.head(limit)
    out = pd.DataFrame(
        {
            "name": [
                name + (PICKED_MARK if code == picked else "")
                for code, name in zip(rows["code"], rows["name"], strict=True)
            ],
            "registrants_per_1000": rows["registrants_per_1000"].map(formatting.rate_per_1000),
            "recipient_rate": rows["recipient_rate"].map(formatting.percent),
            "gap_score": rows["gap_score"].map(lambda v: formatting.number(v, 2)),
            "reason": rows["reason"],
        }
    )
    if last_events is not None:
        out["last_event"] = [
            formatting.long_date(last_events[code]) if code in last_events else "Belum ada"
            for code in rows["code"]
        ]
    return out.rename(columns=DISPLAY_COLUMNS).reset_index(drop=True)
