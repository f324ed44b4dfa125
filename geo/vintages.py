"""Regency code vintages: attribute 2020-era codes to today's regions.

When Papua and Papua Barat were split in 2022, 26 regencies got new codes (e.g. 9101
Merauke → 9301). Replica rows from before 2022 carry the old codes. Unknown codes are never
dropped here: they map to ``None`` so callers can count and show them.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from geo.regions import read_vendored_csv, regencies

UNKNOWN = "????"
"""The code under which rows with an unrecognised regency code are aggregated."""


@cache
def code_changes_2022() -> dict[str, str]:
    """Old (before 2022) regency code → current code, for the 26 renumbered regencies."""
    frame = read_vendored_csv("regency_code_changes_2022.csv", ("code_before_2022", "code_now"))
    return dict(zip(frame["code_before_2022"], frame["code_now"], strict=True))


@cache
def code_mapping() -> pd.DataFrame:
    """Every code the replica may hold → current regency code.

    Columns: ``source_code`` (current or pre-2022), ``regency_code`` (current). Current codes
    map to themselves. Used by the analytics store as a join table.
    """
    current = regencies()["code"]
    rows = {code: code for code in current}
    rows.update(code_changes_2022())
    return pd.DataFrame({"source_code": list(rows), "regency_code": list(rows.values())})


def to_current(codes: pd.Series) -> pd.Series:
    """Map a Series of raw regency codes to current codes; unknown codes become ``UNKNOWN``."""
    lookup = dict(zip(code_mapping()["source_code"], code_mapping()["regency_code"], strict=True))
    return codes.astype(str).str.strip().map(lookup).fillna(UNKNOWN)
