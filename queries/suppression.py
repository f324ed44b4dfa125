"""Small-cell suppression for every figure that reaches a screen, a chart, a tooltip or an
export, at every level and under every filter.

A count below the threshold is hidden (NA). Figures form additive groups whose total is shown
somewhere: the provinces (and the rows with unknown regency codes) add up to the nation, the
regencies of a province to the province, the categories of a breakdown and the weeks of a
series to the region's total. In each group, when a cell is hidden, more cells are hidden —
the smallest first — until at least two are hidden and together they hold at least the
threshold, so neither the total nor the other cells give a hidden one away. A cell's status
is decided once, in its parent's group (a regency among its province's regencies, a province
among the provinces), so every screen that shows it agrees; and when a total is hidden, every
figure inside it is hidden too (a breakdown of a hidden total would reveal it).

Rupiah is a cell of its own groups: an amount below the threshold times one monthly payment
(Rp600.000) is hidden, since it could come from fewer people, and the amount of a hidden
``paid`` count is hidden too whenever a second amount can be hidden with it. A rate is hidden
when any count it is computed from is hidden.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.regions import NATION_CODE
from geo.vintages import UNKNOWN
from queries import metrics
from queries.filters import Filters
from queries.store import Store

DEFAULT_THRESHOLD = 10
MONTHLY_PAYMENT_IDR = 600_000
COUNTS = metrics.PEOPLE_METRICS
Fetch = Callable[..., pd.DataFrame]
"""``fetch(name, filters, *args)``: a :mod:`queries.metrics` function's raw result (the app
passes its cached queries; tests and exports call the functions directly)."""
GROUPS_KEPT = 512
"""Protected groups one ``ProtectedFigures`` keeps (a province group is ~40 rows, a regency
group at most ~40): a few MB."""


def hidden_cells(
    values: pd.Series,
    threshold: int,
    *,
    parent_hidden: bool = False,
    unit: int = 1,
    forced: pd.Series | None = None,
) -> pd.Series:
    """Which cells of one additive group to hide (a boolean Series on ``values``' index);
    ``forced`` cells are hidden for another reason (Rupiah of a hidden count) and protected
    like the small ones.

    Zero discloses nobody and is never hidden on its own account."""
    if parent_hidden:
        return pd.Series(True, index=values.index)
    numbers = values.astype("int64").to_numpy()  # numpy: a group is decided on every view
    limit = threshold * unit
    hidden = (numbers > 0) & (numbers < limit)
    if forced is not None:
        hidden |= forced.to_numpy()
    while hidden.any() and (hidden.sum() < 2 or numbers[hidden].sum() < limit):
        candidates = np.flatnonzero(~hidden & (numbers > 0))
        if not candidates.size:
            break  # every non-zero cell is hidden; their total is below the limit too
        hidden[candidates[numbers[candidates].argmin()]] = True  # the smallest, first of ties
    return pd.Series(hidden, index=values.index)


def suppress(
    frame: pd.DataFrame,
    columns: list[str] | tuple[str, ...],
    threshold: int,
    parent_hidden: dict[str, bool] | None = None,
) -> pd.DataFrame:
    """``frame`` with each count column treated as one group (its total shown elsewhere):
    hidden cells become NA (nullable integers); ``paid_idr`` follows ``paid`` and its own
    rule. A column that already holds NA was protected before and is left as it is."""
    out = frame.copy()
    parents = parent_hidden or {}
    for column in columns:
        if column not in out or out[column].isna().any():
            continue
        hide = hidden_cells(out[column], threshold, parent_hidden=parents.get(column, False))
        out[column] = _masked(out[column], hide)
    if "paid_idr" in out and "paid" in columns and not out["paid_idr"].isna().any():
        hide = _hidden_amounts(out, threshold, parents.get("paid_idr", False))
        out["paid_idr"] = _masked(out["paid_idr"], hide)
    return out


def _masked(values: pd.Series, hide: pd.Series) -> pd.arrays.IntegerArray:
    """``values`` as nullable integers, NA where ``hide`` (same index) is true; built from the
    arrays, as ``Series.mask`` first aligns the two indexes (a fifth of a breakdown's cost)."""
    return pd.arrays.IntegerArray(values.astype("int64").to_numpy(), hide.to_numpy(copy=True))


def _hidden_amounts(frame: pd.DataFrame, threshold: int, parent_hidden: bool) -> pd.Series:
    """Rupiah cells to hide: small amounts, and the amounts of hidden ``paid`` counts. When
    the latter cannot be complemented (a lone non-zero amount: the total would give it away),
    that amount stays shown: it is at least the threshold in monthly payments."""
    options: dict[str, Any] = {"parent_hidden": parent_hidden, "unit": MONTHLY_PAYMENT_IDR}
    amounts = frame["paid_idr"]
    hidden = hidden_cells(amounts, threshold, forced=frame["paid"].isna(), **options)
    if hidden.sum() == 1 and not parent_hidden:
        return hidden_cells(amounts, threshold, **options)
    return hidden


def suppressed_label(threshold: int) -> str:
    """How a hidden cell is shown: ``<10``."""
    return f"<{threshold}"


@dataclass(frozen=True)
class ProtectedFigures:
    """The :mod:`queries.metrics` figures with suppression applied, consistently: the one
    door every screen, chart and export takes to the numbers."""

    fetch: Fetch
    threshold: int = DEFAULT_THRESHOLD
    _groups: OrderedDict = field(default_factory=OrderedDict, compare=False, repr=False)

    @classmethod
    def direct(cls, store: Store, threshold: int = DEFAULT_THRESHOLD) -> ProtectedFigures:
        """Figures read straight from ``store`` (exports and tests), each query run once: a
        regency's status needs its province's group, which needs the nation's."""

        @functools.cache
        def fetch(name: str, *args: object) -> pd.DataFrame:
            return getattr(metrics, name)(store, *args)

        return cls(lambda name, *args: fetch(name, *args).copy(), threshold)

    # --- groups of regions ------------------------------------------------------------------

    def _group(self, key: tuple, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A protected group built once per instance (the most recent ``GROUPS_KEPT``): every
        figure of a region asks for its province's group, which asks for the nation's. The
        group is only read by the methods below."""
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = build()
            if len(self._groups) > GROUPS_KEPT:
                self._groups.popitem(last=False)
        return group

    def _provinces(self, filters: Filters) -> pd.DataFrame:
        """All provinces plus the unknown-code cell, protected under the nation's total (one
        group for every region of the same filters)."""
        nation = filters.with_region(NATION_CODE)
        return self._group(("provinces", nation), lambda: self._build_provinces(nation))

    def _build_provinces(self, filters: Filters) -> pd.DataFrame:
        frame = self.fetch("region_metrics", filters.with_region(NATION_CODE), "province")
        unknown = self.fetch("unknown_code_totals", filters).assign(code=UNKNOWN)
        group = pd.concat([frame, unknown], ignore_index=True)
        nation = self.fetch("totals", filters.with_region(NATION_CODE)).iloc[0]
        parent = {c: _small(int(nation[c]), self.threshold, c) for c in metrics.METRICS}
        return suppress(group, COUNTS, self.threshold, parent)

    def _regencies_of(
        self, filters: Filters, province: str, nation: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The regencies of ``province``, protected under the province's own status; their raw
        figures are taken from ``nation`` (every regency) when given."""
        national = filters.with_region(NATION_CODE)  # one group for every region of the filters
        return self._group(
            ("regencies", national, province),
            lambda: self._build_regencies(national, province, nation),
        )

    def _build_regencies(
        self, filters: Filters, province: str, nation: pd.DataFrame | None
    ) -> pd.DataFrame:
        if nation is None:
            frame = self.fetch("region_metrics", filters.with_region(province), "regency")
        else:  # the same rows, in the same (reference) order, as the province's own query
            frame = nation.loc[nation["province_code"] == province].reset_index(drop=True)
        parent = self._cell(self._provinces(filters), province)
        return suppress(frame, COUNTS, self.threshold, {k: pd.isna(v) for k, v in parent.items()})

    @staticmethod
    def _cell(group: pd.DataFrame, code: str) -> pd.Series:
        row = np.flatnonzero(group["code"].to_numpy() == code)[0]
        return group[list(metrics.METRICS)].iloc[row]

    # --- the figures --------------------------------------------------------------------------

    def totals(self, filters: Filters) -> pd.Series:
        """The region's metric columns (nullable integers; NA = hidden)."""
        region = filters.region
        if region == NATION_CODE:
            row = self.fetch("totals", filters).iloc[0]
            return pd.Series(
                {c: pd.NA if _small(int(row[c]), self.threshold, c) else row[c] for c in row.index},
                dtype="Int64",
            )
        if len(region) == 2:
            return self._cell(self._provinces(filters), region).astype("Int64")
        group = self._regencies_of(filters, region[:2])
        return self._cell(group, region).astype("Int64")

    def unknown_code_totals(self, filters: Filters) -> pd.Series:
        return self._cell(self._provinces(filters), UNKNOWN).astype("Int64")

    def region_metrics(self, filters: Filters, level: str) -> pd.DataFrame:
        """Per-region counts (hidden = NA) and the rates computed from what is shown."""
        if level == "province":
            group = self._provinces(filters)
            frame = group.loc[group["code"] != UNKNOWN]
        elif filters.province:
            frame = self._regencies_of(filters, filters.province)
        else:  # one query for all 514 regencies, not one per province
            nation = self.fetch("region_metrics", filters, "regency")
            codes = self.fetch("region_metrics", filters, "province")["code"]
            frame = pd.concat(
                [self._regencies_of(filters, code, nation) for code in codes], ignore_index=True
            )
        return with_rates(frame.reset_index(drop=True))

    def _under_total(self, frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
        total = self.totals(filters)
        parent = {c: pd.isna(total[c]) for c in metrics.METRICS}
        return suppress(frame, COUNTS, self.threshold, parent)

    def breakdown(self, filters: Filters, dimension: str) -> pd.DataFrame:
        return self._under_total(self.fetch("breakdown", filters, dimension), filters)

    def weekly_series(self, filters: Filters) -> pd.DataFrame:
        return self._under_total(self.fetch("weekly_series", filters), filters)

    def funnel(self, filters: Filters) -> pd.DataFrame:
        """The four stages from the protected totals; a share over a hidden count is NA."""
        row = self.totals(filters)
        people = pd.array([row[stage] for stage, _ in metrics.FUNNEL_STAGES], dtype="Int64")
        counts = pd.Series(people, dtype="Float64").astype(float)  # NA → NaN
        before = counts.shift(1)
        return pd.DataFrame(
            {
                "stage": [stage for stage, _ in metrics.FUNNEL_STAGES],
                "label": [label for _, label in metrics.FUNNEL_STAGES],
                "people": people,
                "share_of_previous": (counts / before.where(before > 0)).to_numpy(),
            }
        )


def _small(value: int, threshold: int, column: str) -> bool:
    unit = MONTHLY_PAYMENT_IDR if column == "paid_idr" else 1
    return 0 < value < threshold * unit


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates from the shown counts: NA where any input count is hidden."""
    numeric = frame.copy()
    for column in COUNTS:
        numeric[column] = numeric[column].astype("Float64").astype(float)
    out = metrics.add_rates(numeric)
    for column in (*COUNTS, "paid_idr"):
        if column in frame:
            out[column] = frame[column].astype("Int64")
    return out
