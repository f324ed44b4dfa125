"""Small-cell suppression for every figure that reaches a screen, a chart, a tooltip or an
export, at every level and under every filter.

A count below the threshold is hidden (NA). Figures form additive groups whose total is shown
somewhere: the provinces (and the rows with unknown regency codes) add up to the nation, the
regencies of a province to the province, the kecamatan of a regency (with its "kecamatan tidak
dikenal" row) to the regency, the categories of a breakdown and the weeks of a series to the
region's total. In each group, when a cell is hidden, more cells are hidden — the smallest
first — until at least two are hidden and together they hold at least the threshold, so
neither the total nor the other cells give a hidden one away. A cell's status is decided
once, in its parent's group (a kecamatan among its regency's kecamatan, a regency among its
province's regencies, a province among the provinces), so every screen that shows it agrees;
and when a total is hidden, every figure inside it is hidden too (a breakdown of a hidden
total would reveal it).

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
from typing import TypeVar

import numpy as np
import pandas as pd

from geo.classify import DEFAULT_THRESHOLD
from geo.regions import NATION_CODE, provinces
from geo.vintages import UNKNOWN
from queries import metrics
from queries.filters import FilterError, Filters
from queries.store import Store

MONTHLY_PAYMENT_IDR = 600_000
COUNTS = metrics.PEOPLE_METRICS
Fetch = Callable[..., pd.DataFrame]
"""``fetch(name, filters, *args)``: a :mod:`queries.metrics` function's raw result (the app
passes its cached queries; tests and exports call the functions directly)."""
T = TypeVar("T")
GROUPS_KEPT = 512
"""Protected groups one ``ProtectedFigures`` keeps (a province group is ~40 rows, a regency
group at most ~40): a few MB."""


def hidden_cells(
    numbers: np.ndarray, limit: int, parent_hidden: bool = False, forced: np.ndarray | None = None
) -> np.ndarray:
    """Which cells of one additive group to hide, as a boolean array: those below ``limit``
    (the threshold, in Rupiah for amounts) and complementary ones until the hidden sum is
    safe; ``forced`` cells are hidden for another reason (Rupiah of a hidden count) and
    protected like the small ones. Zero discloses nobody and is never hidden on its own
    account. Plain arrays: a group is decided on every view, and pandas objects per column
    cost more than the decision (py-spy, docs/SCALING.md)."""
    if parent_hidden:
        return np.ones(len(numbers), dtype=bool)
    hidden = (numbers > 0) & (numbers < limit)
    if forced is not None:
        hidden |= forced
    while hidden.any() and (hidden.sum() < 2 or numbers[hidden].sum() < limit):
        candidates = np.flatnonzero(~hidden & (numbers > 0))
        if not candidates.size:
            break  # every non-zero cell is hidden; their total is below the limit too
        hidden[candidates[numbers[candidates].argmin()]] = True  # the smallest, first of ties
    return hidden


def suppress(
    frame: pd.DataFrame,
    columns: list[str] | tuple[str, ...],
    threshold: int,
    parent_hidden: dict[str, bool] | None = None,
) -> pd.DataFrame:
    """``frame`` with each count column treated as one group (its total shown elsewhere):
    hidden cells become NA (nullable integers); ``paid_idr`` follows ``paid`` and its own
    rule. A column that already holds NA was protected before and is left as it is.

    The groups are decided on arrays and the columns replaced in one ``assign``: pandas
    objects per column took most of a breakdown's protection."""
    parents = parent_hidden or {}
    masked: dict[str, pd.arrays.IntegerArray] = {}
    for column in columns:
        if column not in frame or _holds_na(frame[column]):
            continue
        numbers = frame[column].to_numpy(dtype="int64")
        hide = hidden_cells(numbers, threshold, parents.get(column, False))
        masked[column] = pd.arrays.IntegerArray(numbers, hide)
    if "paid_idr" in frame and "paid" in columns and not frame["paid_idr"].isna().any():
        amounts = frame["paid_idr"].to_numpy(dtype="int64")
        paid = masked["paid"] if "paid" in masked else frame["paid"].array
        hidden_paid = np.asarray(pd.isna(paid), dtype=bool)
        hide = _hidden_amounts(amounts, hidden_paid, threshold, parents.get("paid_idr", False))
        masked["paid_idr"] = pd.arrays.IntegerArray(amounts, hide)
    return frame.assign(**masked)


def _holds_na(values: pd.Series) -> bool:
    """Whether a column holds NA (was protected before); a numpy integer column cannot, and
    ``isna`` on it cost a fifth of a breakdown's protection."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return False
    return bool(values.isna().any())


def _hidden_amounts(
    amounts: np.ndarray, hidden_paid: np.ndarray, threshold: int, parent_hidden: bool
) -> np.ndarray:
    """Rupiah cells to hide: small amounts, and the amounts of hidden ``paid`` counts. When
    the latter cannot be complemented (a lone non-zero amount: the total would give it away),
    that amount stays shown: it is at least the threshold in monthly payments."""
    limit = threshold * MONTHLY_PAYMENT_IDR
    hidden = hidden_cells(amounts, limit, parent_hidden, hidden_paid)
    if hidden.sum() == 1 and not parent_hidden:
        return hidden_cells(amounts, limit, parent_hidden)
    return hidden


def suppressed_label(threshold: int) -> str:
    """How a hidden cell is shown: ``<10``."""
    return f"<{threshold}"


RATE_INPUTS = {
    "registrants_per_1000": ("registrants",),
    "recipient_rate": ("recipients", "registrants"),
    "completion_rate": ("completed", "recipients"),
    "paid_rate": ("paid", "completed"),
}
"""The counts each rate is computed from: a rate over a hidden count is hidden too."""


def hidden_figures(frame: pd.DataFrame, column: str) -> pd.Series:
    """Which rows' ``column`` is hidden by suppression, as opposed to missing: the figure is
    NA and a count it is computed from (or the count itself) is hidden. A rate over a zero
    count is NA too, but nobody is hidden there: that is "no data". Maps, legends, tooltips
    and rankings use this to say "disembunyikan (<10)" rather than "Tidak ada data"."""
    inputs = RATE_INPUTS.get(column) or (column.removesuffix("_per_1000"),)
    present = [name for name in inputs if name in frame]
    if column not in frame or not present:
        return pd.Series(False, index=frame.index)
    return frame[column].isna() & frame[present].isna().any(axis=1)


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

    def _group(self, key: tuple, build: Callable[[], T]) -> T:
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
        group = self.fetch("province_groups", filters)
        nation = self._nation_row(filters)
        parent = {c: _small(int(nation[c]), self.threshold, c) for c in metrics.METRICS}
        return suppress(group, COUNTS, self.threshold, parent)

    def _nation_row(self, filters: Filters) -> pd.Series:
        """The nation's raw totals: the sum of its group (the provinces and the unknown-code
        row), whose query is already cached, rather than a query of their own."""
        group = self.fetch("province_groups", filters.with_region(NATION_CODE))
        return group[list(metrics.METRICS)].sum()

    def _regencies_of(
        self, filters: Filters, province: str, nation: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The regencies of ``province``, protected under the province's own status; their raw
        figures are taken from ``nation`` (every regency) when given."""
        return self._inside("regency", filters, province, nation)

    def _districts_of(
        self, filters: Filters, regency: str, province: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The kecamatan of ``regency`` and its ``??`` row, protected under the regency's own
        status; their raw figures are taken from ``province`` (a province's kecamatan) when
        given."""
        return self._inside("district", filters, regency, province)

    def _inside(
        self, level: str, filters: Filters, parent: str, wider: pd.DataFrame | None
    ) -> pd.DataFrame:
        """The regions of ``level`` inside ``parent``, as one group protected under the
        parent's cell; the raw rows are ``wider``'s (a query over a larger area, in the same
        order) when given, else the parent's own query."""
        national = filters.with_region(NATION_CODE)  # one group for every region of the filters
        return self._group(
            (level, national, parent), lambda: self._build_inside(level, national, parent, wider)
        )

    def _build_inside(
        self, level: str, filters: Filters, parent: str, wider: pd.DataFrame | None
    ) -> pd.DataFrame:
        column = "province_code" if level == "regency" else "regency_code"
        if wider is not None:  # the same rows, in the same (reference) order, as the parent's
            frame = _rows_of(wider, column, parent)
        elif level == "regency":
            frame = self.fetch("region_metrics", filters.with_region(parent), "regency")
        else:
            frame = self.fetch("district_metrics", filters.with_region(parent))
        if level == "regency":
            parents = self._provinces(filters)
        else:
            parents = self._regencies_of(filters, parent[:2])
        cell = self._cell(parents, parent)
        return suppress(frame, COUNTS, self.threshold, {k: pd.isna(v) for k, v in cell.items()})

    @staticmethod
    def _cell(group: pd.DataFrame, code: str) -> pd.Series:
        """The metric cells of one region, as nullable integers named by its group row (read
        cell by cell: a row of a column subset copied the columns first)."""
        row = np.flatnonzero(group["code"].to_numpy() == code)[0]
        cells = [group[column].array[row] for column in metrics.METRICS]
        return pd.Series(cells, index=list(metrics.METRICS), dtype="Int64", name=group.index[row])

    # --- the figures --------------------------------------------------------------------------

    def totals(self, filters: Filters) -> pd.Series:
        """The region's metric columns (nullable integers; NA = hidden)."""
        region = filters.region
        if region == NATION_CODE:
            row = self._nation_row(filters)
            return pd.Series(
                {c: pd.NA if _small(int(row[c]), self.threshold, c) else row[c] for c in row.index},
                dtype="Int64",
            )
        if len(region) == 2:
            return self._cell(self._provinces(filters), region)
        if len(region) == 6:
            return self._cell(self._districts_of(filters, region[:4]), region)
        group = self._regencies_of(filters, region[:2])
        return self._cell(group, region)

    def unknown_code_totals(self, filters: Filters) -> pd.Series:
        return self._cell(self._provinces(filters), UNKNOWN)

    def region_metrics(self, filters: Filters, level: str) -> pd.DataFrame:
        """Per-region counts (hidden = NA) and the rates computed from what is shown."""
        if level == "province":
            group = self._provinces(filters)
            frame = group.loc[group["code"] != UNKNOWN]
        elif filters.province:
            frame = self._regencies_of(filters, filters.province)
        else:  # one query for all 514 regencies, not one per province
            nation = self.fetch("region_metrics", filters, "regency")
            codes = provinces()["code"]  # the order of the province group's rows
            frame = pd.concat(
                [self._regencies_of(filters, code, nation) for code in codes], ignore_index=True
            )
        return with_rates(frame.reset_index(drop=True))

    def district_metrics(self, filters: Filters) -> pd.DataFrame:
        """The kecamatan of the filters' regency (or of every regency of its province), as
        :func:`queries.metrics.district_metrics` gives them, counts protected (hidden = NA),
        with the rates of :func:`with_rates` and each count's share of its regency's
        (``registrants_share`` …, 0–1; NA where the count is hidden)."""
        if filters.regency:
            frame = self._districts_of(filters, filters.regency)
        elif filters.province:
            rows = self.fetch("district_metrics", filters.with_region(filters.province))
            frame = pd.concat(
                [self._districts_of(filters, code, rows) for code in rows["regency_code"].unique()],
                ignore_index=True,
            )
        else:
            raise FilterError("Pilih provinsi atau kabupaten/kota untuk melihat kecamatan.")
        codes = frame["regency_code"].unique()
        parents = pd.DataFrame(
            [self._cell(self._regencies_of(filters, code[:2]), code) for code in codes],
            index=codes,
        )
        return with_shares(with_rates(frame), parents, "regency_code")

    def _under_total(self, frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
        parent = self._group(("hidden totals", filters), lambda: self._hidden_totals(filters))
        return suppress(frame, COUNTS, self.threshold, parent)

    def _hidden_totals(self, filters: Filters) -> dict[str, bool]:
        """Which of the region's totals are hidden, kept per filters: a Daerah Saya view
        protects seven breakdowns and a weekly series under the same totals."""
        total = self.totals(filters)
        return {c: bool(pd.isna(total[c])) for c in metrics.METRICS}

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


def _rows_of(wider: pd.DataFrame, column: str, parent: str) -> pd.DataFrame:
    """The rows of ``wider`` whose ``column`` is ``parent``, renumbered from 0. In reference
    order a parent's regions are one run of rows, taken as a slice: a boolean selection per
    province copied every column and was a twentieth of a worker's CPU under the load test
    (py-spy, national regency maps)."""
    rows = np.flatnonzero(wider[column].to_numpy() == parent)
    if rows.size and rows[-1] - rows[0] + 1 == rows.size:
        return wider.iloc[rows[0] : rows[-1] + 1].reset_index(drop=True)
    return wider.iloc[rows].reset_index(drop=True)


def _small(value: int, threshold: int, column: str) -> bool:
    unit = MONTHLY_PAYMENT_IDR if column == "paid_idr" else 1
    return 0 < value < threshold * unit


def with_shares(frame: pd.DataFrame, parents: pd.DataFrame, key: str) -> pd.DataFrame:
    """Each count's share of its parent region's (``<count>_share``, 0–1): ``parents`` holds
    the parents' protected counts, indexed by the codes in ``frame[key]``. NA where the count
    or the parent's is hidden (a hidden parent hides every cell anyway)."""
    out = frame.copy()
    for column in COUNTS:
        total = frame[key].map(parents[column].astype("Float64").astype(float))
        count = frame[column].astype("Float64").astype(float)
        out[f"{column}_share"] = count / total.where(total > 0)
    return out


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates from the shown counts: NA where any input count is hidden."""
    out = metrics.add_rates(frame)
    return out.assign(**{c: out[c].astype("Int64") for c in (*COUNTS, "paid_idr") if c in out})
