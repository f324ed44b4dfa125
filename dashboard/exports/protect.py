"""Small-cell suppression applied by every export, at every level.

Frames from ``dashboard.data`` (and slides, through ``ProtectedFigures``) arrive protected; a
column that already holds hidden cells is left as it is, so this is a no-op for them and a
safety net for anything else: people counts below the threshold become NA (with the
complementary suppression of :func:`queries.suppression.suppress`), Rupiah follows its
``paid`` count, and rates computed from a hidden count become NA too.
"""

from __future__ import annotations

import pandas as pd

from dashboard.settings import suppression_threshold
from queries.metrics import PEOPLE_METRICS
from queries.suppression import RATE_INPUTS, suppress, with_rates

COUNT_COLUMNS = (*PEOPLE_METRICS, "people")


def protect_counts(
    frame: pd.DataFrame, threshold: int | None = None, columns: tuple[str, ...] = COUNT_COLUMNS
) -> pd.DataFrame:
    """``frame`` with its integer count columns suppressed; other columns untouched."""
    limit = threshold or suppression_threshold()
    present = [c for c in columns if c in frame and pd.api.types.is_integer_dtype(frame[c])]
    out = suppress(frame, present, limit) if present else frame.copy()
    if "paid_idr" in out and "paid" in present:
        out["paid_idr"] = out["paid_idr"].astype("Int64").mask(out["paid"].isna())
    for rate, inputs in RATE_INPUTS.items():
        if rate in out and all(c in out for c in inputs):
            hidden = pd.concat([out[c].isna() for c in inputs], axis=1).any(axis=1)
            out[rate] = out[rate].mask(hidden)
    return out


def protected_region_rates(frame: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """Region metrics with counts suppressed first and the rates computed from what is left
    (a rate over a hidden count is NA), for maps and priority lists."""
    return with_rates(protect_counts(frame, threshold, PEOPLE_METRICS))
