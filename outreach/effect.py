"""Dampak sosialisasi: did registrations rise after an event, beyond what comparable
regencies saw in the same weeks? A difference-in-differences with an uncertainty band.

For each past event and each measure (all registrants, offline registrants, the target
group's registrants) we count the window of ``W`` days that starts on the event's first day
(``W`` = the event's length, at least 14 and at most 42 days) and the ``W`` days before it,
in the event's regency and, pooled, in its comparison regencies: the regencies of the same
province plus the :data:`NEAREST` most similar ones nationally (population and the
measure's rate per 1,000 before the event), leaving out every regency with an event of its
own near those weeks.

The effect is the ratio of the two changes, ``exp(d)`` with
``d = log(after/before) − log(control_after/control_before)`` (0.5 added to each count).
Its standard error treats counts as Poisson, widened by how much more the comparison
regencies' own changes scatter than Poisson alone would allow (over-dispersion, never
below 1). The 95% band is ``d ± 1.96·se``. An effect whose band excludes zero is "naik" or
"turun"; one whose band straddles zero is "tidak terlihat dampak", unless the band is so wide
(too few registrations) that the data cannot tell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from geo.regions import regencies
from outreach.events import Event
from queries import metrics
from queries.filters import Filters
from queries.store import Store

MIN_DAYS, MAX_DAYS = 14, 42
NEAREST = 10
Z95 = 1.96
WIDEST_BAND = 1.5
"""A 95% band wider than 150 percentage points says the data cannot tell."""
MIN_COUNT = 10
"""Fewer registrations than this in the regency's two windows together: cannot tell."""

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
    "belum": "belum dapat dinilai: jendela setelah kegiatan belum lengkap",
}


@dataclass(frozen=True)
class Effect:
    """One event's effect on one measure. Shares are fractions (0.38 = 38%)."""

    event_id: int
    measure: str
    window_days: int
    before: int
    after: int
    control_before: int
    control_after: int
    controls: int
    lift: float
    lift_low: float
    lift_high: float
    verdict: str

    @property
    def label(self) -> str:
        return MEASURES[self.measure][0]

    @property
    def change(self) -> float:
        """The regency's own change, after vs before."""
        return self.after / self.before - 1 if self.before else math.nan

    @property
    def control_change(self) -> float:
        return self.control_after / self.control_before - 1 if self.control_before else math.nan

    @property
    def points(self) -> tuple[float, float, float]:
        """The effect in percentage points of the 'before' count (estimate, low, high):
        how far the regency's change lies above the comparison regencies' change."""
        scale = 1 + self.control_change
        return scale * self.lift, scale * self.lift_low, scale * self.lift_high


def measures_for(event: Event) -> list[str]:
    """All registrants, offline registrants and (unless *umum*) the target group's."""
    extra = [] if event.target_group == "umum" else [event.target_group]
    return ["registrants", "offline", *extra]


def headline_measure(event: Event) -> str:
    """The measure an event is judged by: its target group's, or offline for *umum*."""
    return "offline" if event.target_group == "umum" else event.target_group


def windows(event: Event) -> tuple[date, date, int]:
    """(first day before, first day after, W): before = [first_before, start), after =
    [start, start + W)."""
    length = (event.end_date - event.start_date).days + 1
    days = min(MAX_DAYS, max(MIN_DAYS, length))
    return event.start_date - timedelta(days=days), event.start_date, days


def daily_counts(store: Store, period: tuple[date, date], measure: str) -> pd.DataFrame:
    """Regency × day matrix of the measure's registrants over the data period."""
    filters = Filters(period[0], period[1], **MEASURES[measure][1])
    return to_matrix(metrics.daily_registrants(store, filters), period)


def to_matrix(daily: pd.DataFrame, period: tuple[date, date]) -> pd.DataFrame:
    """``metrics.daily_registrants`` rows as a regency × day table with zeros filled in."""
    days = pd.date_range(period[0], period[1], freq="D")
    table = daily.pivot_table(index="code", columns="day", values="registrants", aggfunc="sum")
    return table.reindex(index=regencies()["code"], columns=days, fill_value=0).fillna(0)


def _busy_regencies(event: Event, others: Sequence[Event], start: date, end: date) -> set[str]:
    """Regencies with an event of their own within a window's length of [start, end)."""
    margin = timedelta(days=(end - start).days // 2)
    return {
        other.regency_code
        for other in others
        if other.start_date < end + margin and other.end_date >= start - margin
    } | {event.regency_code}


def comparison_regencies(
    event: Event, others: Sequence[Event], matrix: pd.DataFrame, start: date, end: date
) -> list[str]:
    """Same province plus the nearest in (log population, log rate before the event),
    without events of their own near the event's weeks."""
    table = regencies()
    codes = table["code"].to_numpy()
    population = table["population"].to_numpy(dtype=float)
    earlier = matrix.to_numpy()[:, : _day(matrix, start)].sum(axis=1)
    rate = np.log(np.clip(earlier / population * 1000, 1e-3, None))
    size = np.log(population)
    me = int(np.flatnonzero(codes == event.regency_code)[0])
    free = ~np.isin(codes, list(_busy_regencies(event, others, start, end)))
    distance = np.where(free, np.hypot(size - size[me], rate - rate[me]), np.inf)
    same_province = free & (table["province_code"].to_numpy() == event.regency_code[:2])
    nearest = np.argsort(distance, kind="stable")[:NEAREST]
    nearest = nearest[np.isfinite(distance[nearest])]
    return sorted(set(codes[same_province]) | set(codes[nearest]))


def _day(matrix: pd.DataFrame, day: date) -> int:
    """Column position of ``day`` in a regency × day matrix."""
    return (day - matrix.columns[0].date()).days


def _window_sums(matrix: pd.DataFrame, codes: Sequence[str], start: date, days: int) -> pd.Series:
    first = _day(matrix, start)
    rows = matrix.index.get_indexer(list(codes))
    return pd.Series(matrix.to_numpy()[rows, first : first + days].sum(axis=1), index=codes)


def _dispersion(before: pd.Series, after: pd.Series) -> float:
    """How much more the comparison regencies' changes scatter than Poisson noise (≥ 1)."""
    usable = (before + after) >= MIN_COUNT
    if usable.sum() < 3:
        return 1.0
    b, a = before[usable] + 0.5, after[usable] + 0.5
    pooled = math.log(a.sum() / b.sum())
    z2 = (np.log(a / b) - pooled) ** 2 / (1 / a + 1 / b)
    return max(1.0, float(z2.mean()))


def estimate(
    event: Event,
    measure: str,
    matrix: pd.DataFrame,
    others: Sequence[Event],
) -> Effect:
    """The effect of one event on one measure, from that measure's regency × day matrix."""
    first_before, start, days = windows(event)
    end = start + timedelta(days=days)
    first_day, last_day = matrix.columns[0].date(), matrix.columns[-1].date()
    controls = comparison_regencies(event, others, matrix, first_before, end)
    verdict = None
    if end - timedelta(days=1) > last_day:
        verdict = "belum"
    elif first_before < first_day or not controls:
        verdict = "tidak_cukup"
    if verdict:
        no_lift = (math.nan, math.nan, math.nan)
        return Effect(event.id, measure, days, 0, 0, 0, 0, len(controls), *no_lift, verdict)
    [before] = _window_sums(matrix, [event.regency_code], first_before, days).astype(int)
    [after] = _window_sums(matrix, [event.regency_code], start, days).astype(int)
    c_before = _window_sums(matrix, controls, first_before, days)
    c_after = _window_sums(matrix, controls, start, days)
    cb, ca = int(c_before.sum()), int(c_after.sum())
    d = math.log((after + 0.5) / (before + 0.5)) - math.log((ca + 0.5) / (cb + 0.5))
    phi = _dispersion(c_before, c_after)
    se = math.sqrt(phi * (1 / (after + 0.5) + 1 / (before + 0.5)) + 1 / (ca + 0.5) + 1 / (cb + 0.5))
    low, high = math.exp(d - Z95 * se) - 1, math.exp(d + Z95 * se) - 1
    if before + after < MIN_COUNT or cb == 0:
        verdict = "tidak_cukup"
    elif low > 0:
        verdict = "naik"
    elif high < 0:
        verdict = "turun"
    elif high - low > WIDEST_BAND:
        verdict = "tidak_cukup"
    else:
        verdict = "tidak_terlihat"
    return Effect(
        event.id,
        measure,
        days,
        before,
        after,
        cb,
        ca,
        len(controls),
        math.exp(d) - 1,
        low,
        high,
        verdict,
    )


def effects(
    events: Sequence[Event],
    matrices: Mapping[str, pd.DataFrame],
    others: Sequence[Event],
    today: date,
) -> list[Effect]:
    """Every measure of every event that has started (planned events have no effect yet)."""
    return [
        estimate(event, measure, matrices[measure], others)
        for event in events
        if not event.is_planned(today)
        for measure in measures_for(event)
    ]


def effects_from_store(
    store: Store, events: Sequence[Event], others: Sequence[Event], today: date
) -> list[Effect]:
    """:func:`effects`, reading the measures' daily counts from the store."""
    period = metrics.data_period(store)
    needed = {measure for event in events for measure in measures_for(event)}
    matrices = {measure: daily_counts(store, period, measure) for measure in needed}
    return effects(events, matrices, others, today)
