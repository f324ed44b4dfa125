"""Small-cell suppression for regency-level breakdowns (screens and exports alike).

Counts below the threshold become hidden, and when exactly one cell of a group is hidden the
next-smallest cell is hidden too (complementary suppression), so the group's total cannot be
used to recover the hidden value.
"""

from __future__ import annotations

import pandas as pd

DEFAULT_THRESHOLD = 10


def suppress(frame: pd.DataFrame, columns: list[str], threshold: int) -> pd.DataFrame:
    """Return ``frame`` with small cells of ``columns`` set to NA (as nullable integers).

    Zero is not a small cell: it discloses nobody. Each column is treated as one group whose
    total is published elsewhere.
    """
    out = frame.copy()
    for column in columns:
        values = out[column]
        small = (values > 0) & (values < threshold)
        if small.sum() == 1:
            candidates = values.where(~small & (values > 0))
            if candidates.notna().any():
                small |= values.index == candidates.idxmin()
        out[column] = values.astype("Int64").mask(small)
    return out


def suppressed_label(threshold: int) -> str:
    """How a hidden cell is shown: ``<10``."""
    return f"<{threshold}"
