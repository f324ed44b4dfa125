"""Dampak sosialisasi: did registrations rise after an event, beyond what comparable
regencies saw in the same weeks? A difference-in-differences whose band holds with
overdispersion, regency-specific trends and few comparison regencies. The method, its
assumptions and its limits: ``docs/OUTREACH_EFFECT.md``.

- **Windows.** *After*: the ``W`` days from the event's first day (``W`` = the event's length,
  at least 14 and at most 42 days). *Before*: :data:`BASELINE_DAYS` (8 weeks) ending
  :data:`GAP_DAYS` (one week) before it, compared per day: the week right before an event,
  when a Pemda decides to act because registrations sagged, is not the yardstick, and any
  other bad week weighs 1/8, not 1/2.
- **Comparison.** The regencies of the same province plus the :data:`NEAREST` most similar
  nationally (population and the measure's rate in the before window), leaving out every
  regency with an event of its own near those weeks and the event regency's neighbours
  (:mod:`geo.adjacency`).
- **Estimate.** ``d = y₀ − ȳ``: the regency's log change of daily rate minus the pooled
  comparison's; the lift is ``exp(d) − 1``.
- **Band.** The comparison regencies' own log changes scatter around ``ȳ`` by Poisson noise
  plus a between-regency variance ``τ²`` (trends, overdispersion; DerSimonian–Laird moment
  estimate). The event regency is one more draw of that: ``var(d) = v₀ + τ² + var(ȳ)``, and
  the band is ``d ± t(0.975, J − 1)·√var(d)`` with ``J`` comparison regencies (a prediction
  interval with the small-sample t quantile).
- **Pre-trend.** The same estimate between the first and the last four weeks of the before
  window: when its band excludes zero, the regency was already diverging and the verdict
  says so instead of judging the event.
- **Verdict** (primary measure only; rules in :func:`verdict_of`, stated on Tentang Data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from geo.adjacency import neighbours
from geo.regions import regencies
from outreach.events import Event
from queries import metrics
from queries.filters import Filters
from queries.store import Store

MIN_DAYS, MAX_DAYS = 14, 42
BASELINE_DAYS = 56
"""The before window: 8 weeks, whatever the event's length."""
GAP_DAYS = 7
"""The week right before the event is left out of the before window: Pemda act after a bad
week, which would otherwise make any event look like a rise (regression to the mean)."""
OFFLINE_OPENED = date(2020, 6, 15)
"""Offline registration (layanan luring) opened: before it the offline count is zero."""
NEAREST = 10
MIN_CONTROLS = 5
CONFIDENCE = 0.95
WIDEST_BAND_POINTS = 50.0
"""A band wider than 50 percentage points says the data cannot tell."""
MIN_COUNT = 10
"""Fewer registrations than this in the regency's two windows together: cannot tell."""
WEEKS_SHOWN_BEFORE = BASELINE_DAYS // 7

MEASURES: dict[str, tuple[str, dict[str, Any]]] = {
    "registrants": ("pendaftar", {}),
    "offline": ("pendaftar luring", {"channels": ("offline",)}),
    "perempuan": ("pendaftar perempuan", {"genders": ("F",)}),
    "disabilitas": ("pendaftar penyandang disabilitas", {"disability": True}),
    "pemuda": ("pendaftar muda (18–25 tahun)", {"age_bands": ("18-25",)}),
}
"""Measure → (words used in sentences, filter fields that select it)."""

VERDICTS = {
    "naik": "naik",
    "turun": "turun",
    "tidak_terlihat": "tidak terlihat dampak",
    "tidak_cukup": "data belum cukup untuk menilai",
    "sudah_berbeda": "sudah berbeda sebelum kegiatan",
    "sekunder": "ukuran pendukung, tidak dinilai",
    "belum": "belum dapat dinilai: jendela setelah kegiatan belum lengkap",
}
JUDGED = ("naik", "turun")
NO_ESTIMATE = {
    "history": "belum ada data 8 minggu sebelum kegiatan",
    "offline": "pendaftaran luring baru dibuka 15 Juni 2020, sebelum 8 minggu sebelum kegiatan",
    "controls": "tidak ada cukup kabupaten/kota pembanding",
    "window": "jendela setelah kegiatan belum lengkap",
}


@dataclass(frozen=True)
class Estimate:
    """A difference in log daily rates with its band: ``d``, its standard error and the t
    quantile used, and the pooled comparison's log change."""

    d: float
    se: float
    quantile: float
    control_log_change: float

    @property
    def band(self) -> tuple[float, float]:
        return self.d - self.quantile * self.se, self.d + self.quantile * self.se

    def excludes_zero(self) -> bool:
        low, high = self.band
        return low > 0 or high < 0


@dataclass(frozen=True)
class Effect:
    """One event's effect on one measure. Shares are fractions (0.38 = 38%). ``before`` and
    ``control_before`` are the 8-week before window's counts scaled to the after window's
    ``window_days`` (so they compare with ``after`` directly)."""

    event_id: int
    measure: str
    primary: bool
    window_days: int
    before: float
    after: int
    control_before: float
    control_after: int
    controls: int
    lift: float
    lift_low: float
    lift_high: float
    verdict: str
    pre_lift: float = math.nan
    pre_low: float = math.nan
    pre_high: float = math.nan
    weekly_gap: tuple[float, ...] = ()
    """Per 7-day block from 8 weeks before the event to the end of its window: how far the
    regency's count sits above (+) or below (−) its comparison's, relative to the before
    window's average gap (0.1 = 10% above)."""
    neighbours_left_out: int = 0
    neighbour_source: str = ""
    reason: str = ""
    """Why there is no estimate at all (a key of :data:`NO_ESTIMATE`), else empty."""

    @property
    def label(self) -> str:
        return MEASURES[self.measure][0]

    @property
    def change(self) -> float:
        """The regency's own change, after vs before (none from less than half a person)."""
        return self.after / self.before - 1 if self.before >= 0.5 else math.nan

    @property
    def control_change(self) -> float:
        if self.control_before < 0.5:
            return math.nan
        return self.control_after / self.control_before - 1

    @property
    def points(self) -> tuple[float, float, float]:
        """The effect in percentage points of the 'before' count (estimate, low, high):
        how far the regency's change lies above the comparison regencies' change."""
        scale = 1 + self.control_change
        return scale * self.lift, scale * self.lift_low, scale * self.lift_high

    @property
    def estimated(self) -> bool:
        """Whether there is an estimate to judge: counts, comparison regencies and history
        enough (its band may still be too wide)."""
        return (
            not self.reason
            and self.before + self.after >= MIN_COUNT
            and self.controls >= MIN_CONTROLS
        )

    @property
    def band_points(self) -> float:
        """The band's width in percentage points."""
        _, low, high = self.points
        return (high - low) * 100


def measures_for(event: Event) -> list[str]:
    """All registrants, offline registrants and (unless *umum*) the target group's."""
    extra = [] if event.target_group == "umum" else [event.target_group]
    return ["registrants", "offline", *extra]


def primary_measure(event: Event) -> str:
    """The one measure an event is judged by, fixed by the agenda before any count is read:
    the target group's; for *umum* all registrants, except an offline registration service
    (layanan luring) whose both windows fall after offline registration opened."""
    if event.target_group != "umum":
        return event.target_group
    baseline_start, _, _ = windows(event)
    if event.kind == "layanan_luring" and baseline_start >= OFFLINE_OPENED:
        return "offline"
    return "registrants"


def windows(
    event: Event, baseline_days: int = BASELINE_DAYS, gap_days: int = GAP_DAYS
) -> tuple[date, date, int]:
    """(first day before, first day after, W): before = ``baseline_days`` from first_before,
    ending ``gap_days`` before the event; after = [start, start + W)."""
    length = (event.end_date - event.start_date).days + 1
    days = min(MAX_DAYS, max(MIN_DAYS, length))
    first_before = event.start_date - timedelta(days=baseline_days + gap_days)
    return first_before, event.start_date, days


def population(filters: Filters) -> dict[str, Any]:
    """The page filters the effect follows: who registered (gender, age, disability). The
    channel is the measures' own split, and registrants have no wave."""
    return {
        "genders": filters.genders,
        "age_bands": filters.age_bands,
        "disability": filters.disability,
    }


def scoped_fields(measure: str, scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """The measure's filter fields within the page's population ``scope`` (genders,
    age_bands, disability), or None when they exclude each other (women among men)."""
    fields = dict(MEASURES[measure][1])
    for key, wanted in scope.items():
        if wanted in ((), None):
            continue
        if key not in fields:
            fields[key] = wanted
        elif key == "disability":
            if fields[key] != wanted:
                return None
        else:
            both = tuple(value for value in fields[key] if value in wanted)
            if not both:
                return None
            fields[key] = both
    return fields


def measure_filters(filters: Filters, measure: str) -> Filters | None:
    """The page's filters narrowed to one measure among its population (for the measure's
    weekly series), or None when they exclude each other."""
    fields = scoped_fields(measure, population(filters))
    if fields is None:
        return None
    cleared = {"channels": (), "genders": (), "age_bands": (), "disability": None, "waves": ()}
    return replace(filters, **{**cleared, **fields})


def chart_filters(event: Event, filters: Filters) -> tuple[str, Filters]:
    """The measure whose weekly series goes with an event, and its filters: its primary
    measure, or all registrants when the filters exclude it."""
    for measure in (primary_measure(event), "registrants"):
        chosen = measure_filters(filters, measure)
        if chosen is not None:
            return measure, chosen
    raise ValueError("All registrants are within any population filter.")


def daily_counts(
    store: Store, period: tuple[date, date], measure: str, scope: Mapping[str, Any] | None = None
) -> pd.DataFrame | None:
    """Regency × day matrix of the measure's registrants (within ``scope``) over the data
    period, or None when the scope excludes the measure."""
    fields = scoped_fields(measure, scope or {})
    if fields is None:
        return None
    filters = Filters(period[0], period[1], **fields)
    return to_matrix(metrics.daily_registrants(store, filters), period)


def to_matrix(daily: pd.DataFrame, period: tuple[date, date]) -> pd.DataFrame:
    """``metrics.daily_registrants`` rows as a regency × day table with zeros filled in."""
    days = pd.date_range(period[0], period[1], freq="D")
    table = daily.pivot_table(index="code", columns="day", values="registrants", aggfunc="sum")
    return table.reindex(index=regencies()["code"], columns=days, fill_value=0).fillna(0)


def busy_regencies(others: Sequence[Event], start: date, end: date) -> set[str]:
    """Regencies with an event of their own within half a window's length of [start, end)."""
    margin = timedelta(days=(end - start).days // 2)
    return {
        other.regency_code
        for other in others
        if other.start_date < end + margin and other.end_date >= start - margin
    }


def comparison_regencies(
    code: str, left_out: set[str], matrix: pd.DataFrame, start: date, end: date
) -> list[str]:
    """Same province plus the nearest in (log population, log rate in [start, end)), none
    of them in ``left_out`` (busy or neighbouring regencies, and ``code`` itself)."""
    table = regencies()
    codes = table["code"].to_numpy()
    population = table["population"].to_numpy(dtype=float)
    earlier = matrix.to_numpy()[:, _day(matrix, start) : _day(matrix, end)].sum(axis=1)
    rate = np.log(np.clip(earlier / population * 1000, 1e-3, None))
    size = np.log(population)
    me = int(np.flatnonzero(codes == code)[0])
    free = ~np.isin(codes, list(left_out | {code}))
    distance = np.where(free, np.hypot(size - size[me], rate - rate[me]), np.inf)
    same_province = free & (table["province_code"].to_numpy() == code[:2])
    nearest = np.argsort(distance, kind="stable")[:NEAREST]
    nearest = nearest[np.isfinite(distance[nearest])]
    return sorted(set(codes[same_province]) | set(codes[nearest]))


def _day(matrix: pd.DataFrame, day: date) -> int:
    """Column position of ``day`` in a regency × day matrix."""
    return (day - matrix.columns[0].date()).days


def _sums(matrix: pd.DataFrame, rows: np.ndarray, start: date, days: int) -> np.ndarray:
    first = _day(matrix, start)
    return matrix.to_numpy()[rows, first : first + days].sum(axis=1)


def did(
    own: tuple[float, float], controls: tuple[np.ndarray, np.ndarray], days: tuple[int, int]
) -> Estimate:
    """The difference in log daily rates (after vs before) between one regency and the
    pooled comparison, with a prediction-interval standard error (see the module doc)."""
    b0, a0 = own[0] + 0.5, own[1] + 0.5
    b, a = controls[0] + 0.5, controls[1] + 0.5
    shift = math.log(days[0] / days[1])
    y, v = np.log(a / b) + shift, 1 / a + 1 / b
    w = 1 / v
    mean_w = float((w * y).sum() / w.sum())
    q = float((w * (y - mean_w) ** 2).sum())
    tau2 = max(0.0, (q - (len(y) - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    n = a + b
    pooled = math.log(a.sum() / b.sum()) + shift
    pooled_var = float((n**2 * (v + tau2)).sum() / n.sum() ** 2)
    d = math.log(a0 / b0) + shift - pooled
    se = math.sqrt(1 / a0 + 1 / b0 + tau2 + pooled_var)
    quantile = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(y) - 1))
    return Estimate(d, se, quantile, pooled)


def verdict_of(
    primary: bool, counted: int, controls: int, band_points: float, pre: Estimate, main: Estimate
) -> str:
    """The rules, in order (the same words on Tentang Data):

    1. a secondary measure is not judged (``sekunder``);
    2. fewer than :data:`MIN_COUNT` registrations in the regency's two windows or fewer than
       :data:`MIN_CONTROLS` comparison regencies: ``tidak_cukup``;
    3. the pre-trend band excludes zero: ``sudah_berbeda``;
    4. the band lies above zero: ``naik``; below zero: ``turun`` (a band that excludes zero
       settles the direction, however wide; its width is stated);
    5. a band that straddles zero and is wider than :data:`WIDEST_BAND_POINTS` points:
       ``tidak_cukup``; otherwise ``tidak_terlihat``.
    """
    if not primary:
        return "sekunder"
    if counted < MIN_COUNT or controls < MIN_CONTROLS:
        return "tidak_cukup"
    if pre.excludes_zero():
        return "sudah_berbeda"
    low, high = main.band
    if low > 0 or high < 0:
        return "naik" if low > 0 else "turun"
    return "tidak_terlihat" if band_points <= WIDEST_BAND_POINTS else "tidak_cukup"


def _weekly_gap(matrix: pd.DataFrame, me: int, rows: np.ndarray, start: date, days: int) -> tuple:
    """:attr:`Effect.weekly_gap`: log gap per 7-day block, centred on the before weeks."""
    blocks = range(-WEEKS_SHOWN_BEFORE, math.ceil(days / 7))
    own, pool = [], []
    for block in blocks:
        first = start + timedelta(days=7 * block)
        length = min(7, days - 7 * block) if block >= 0 else 7
        own.append(float(_sums(matrix, np.array([me]), first, length)[0]) / length)
        pool.append(float(_sums(matrix, rows, first, length).sum()) / length)
    gap = np.log(np.array(own) + 0.5 / 7) - np.log(np.array(pool) + 0.5 / 7)
    gap -= gap[:WEEKS_SHOWN_BEFORE].mean()
    return tuple(float(value) for value in np.expm1(gap))


def _not_judged(event: Event, measure: str, primary: bool, days: int, reason: str) -> Effect:
    nothing = math.nan
    verdict = "belum" if reason == "window" else "tidak_cukup"
    return Effect(
        event.id,
        measure,
        primary,
        days,
        0,
        0,
        0,
        0,
        0,
        nothing,
        nothing,
        nothing,
        verdict,
        reason=reason,
    )


def estimate(
    event: Event,
    measure: str,
    matrix: pd.DataFrame,
    others: Sequence[Event],
    primary: bool | None = None,
    baseline_days: int = BASELINE_DAYS,
    gap_days: int = GAP_DAYS,
) -> Effect:
    """The effect of one event on one measure, from that measure's regency × day matrix
    (``primary`` defaults to whether it is the event's primary measure; other baselines
    only for calibration's comparison of baselines)."""
    if primary is None:
        primary = measure == primary_measure(event)
    first_before, start, days = windows(event, baseline_days, gap_days)
    end = start + timedelta(days=days)
    if end - timedelta(days=1) > matrix.columns[-1].date():
        return _not_judged(event, measure, primary, days, "window")
    if min(first_before, start - timedelta(days=BASELINE_DAYS)) < matrix.columns[0].date():
        return _not_judged(event, measure, primary, days, "history")
    if measure == "offline" and first_before < OFFLINE_OPENED:
        return _not_judged(event, measure, primary, days, "offline")
    near, source = neighbours()
    skipped = near.get(event.regency_code, frozenset())
    left_out = busy_regencies(others, first_before, end) | set(skipped)
    last_before = first_before + timedelta(days=baseline_days)
    controls = comparison_regencies(event.regency_code, left_out, matrix, first_before, last_before)
    if len(controls) < 2:
        return _not_judged(event, measure, primary, days, "controls")
    me = matrix.index.get_loc(event.regency_code)
    rows = matrix.index.get_indexer(controls)
    own = (
        float(_sums(matrix, np.array([me]), first_before, baseline_days)[0]),
        float(_sums(matrix, np.array([me]), start, days)[0]),
    )
    pool = (_sums(matrix, rows, first_before, baseline_days), _sums(matrix, rows, start, days))
    main = did(own, pool, (baseline_days, days))
    half = baseline_days // 2
    middle = first_before + timedelta(days=half)
    pre = did(
        (
            float(_sums(matrix, np.array([me]), first_before, half)[0]),
            float(_sums(matrix, np.array([me]), middle, half)[0]),
        ),
        (_sums(matrix, rows, first_before, half), _sums(matrix, rows, middle, half)),
        (half, half),
    )
    scale = days / baseline_days
    low, high = main.band
    control_change = math.expm1(main.control_log_change)
    band_points = (1 + control_change) * (math.exp(high) - math.exp(low)) * 100
    verdict = verdict_of(primary, int(own[0] + own[1]), len(controls), band_points, pre, main)
    pre_low, pre_high = pre.band
    return Effect(
        event.id,
        measure,
        primary,
        days,
        own[0] * scale,
        int(own[1]),
        float(pool[0].sum()) * scale,
        int(pool[1].sum()),
        len(controls),
        math.expm1(main.d),
        math.expm1(low),
        math.expm1(high),
        verdict,
        math.expm1(pre.d),
        math.expm1(pre_low),
        math.expm1(pre_high),
        _weekly_gap(matrix, me, rows, start, days),
        len(skipped),
        source,
    )


def effects(
    events: Sequence[Event],
    matrices: Mapping[str, pd.DataFrame | None],
    others: Sequence[Event],
    today: date,
) -> list[Effect]:
    """Every measure of every event that has started (planned events have no effect yet);
    a measure whose matrix is None (outside the page's population) is left out."""
    return [
        estimate(event, measure, matrix, others)
        for event in events
        if not event.is_planned(today)
        for measure in measures_for(event)
        if (matrix := matrices.get(measure)) is not None
    ]


def effects_from_store(
    store: Store,
    events: Sequence[Event],
    others: Sequence[Event],
    today: date,
    scope: Mapping[str, Any] | None = None,
) -> list[Effect]:
    """:func:`effects`, reading the measures' daily counts (within ``scope``) from the store."""
    period = metrics.data_period(store)
    needed = {measure for event in events for measure in measures_for(event)}
    matrices = {measure: daily_counts(store, period, measure, scope) for measure in needed}
    return effects(events, matrices, others, today)
