"""Dampak sosialisasi recovers the effects planted in the synthetic replica.

Every tolerance comes from the estimate's own standard error (``se``, read back from its 95%
band), at :data:`Z_CHECK` standard errors: about 1 in 1,000 per check by chance, so the dozen
checks here hold for any seed, not only for the one that happens to be used. The planted
events last four to six weeks, so their windows hold enough registrations (at scale 0.05:
50–300 offline registrations, 500–1,500 women or youth per window) that each check could
fail for a real error:
- offline lifts (three events): the planted lift lies within Z_CHECK·se of the estimate,
  and no effect (0) does not;
- target-group lifts for women and youth: the planted lift lies within Z_CHECK·se, and twice
  the planted lift does not (a 2× error is caught);
- the disability event (one day, a handful of people): "data belum cukup untuk menilai";
- events without a lift: no effect (0) lies within Z_CHECK·se of the estimate for every
  measure, and that band is narrow enough that the largest planted lift (+200%) would not;
- of 100 placebo events (random large regencies and weeks, no event) at least 90% read
  "tidak terlihat dampak" (the band is a 95% band).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest
from conftest import _temporary_database, reader_url
from sqlalchemy import create_engine, text

from geo.regions import regencies
from outreach import effect
from outreach.events import Event
from queries import metrics
from queries.filters import Filters
from queries.store import Store, store_dir
from queries.sync import sync
from synthetic import generator
from synthetic.planted import PLANTED_EVENTS

Z_CHECK = 3.29
"""Standard errors of slack: a two-sided 99.9% band."""
EFFECT_SCALE = 0.05
"""The app's default demo scale: the smallest at which offline windows hold enough people."""
TODAY = date(2026, 1, 1)
PERIOD = (date(2020, 4, 11), date(2020, 9, 3))


def as_events() -> list[Event]:
    return [
        Event(p.regency_code, p.start_date, p.end_date, p.kind, p.target_group, "Dinas", id=i)
        for i, p in enumerate(PLANTED_EVENTS)
    ]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Iterator[Store]:
    """The demo replica at the app's default scale (PostgreSQL: the fastest to write)."""
    with _temporary_database() as url:
        generator.build(url, EFFECT_SCALE)
        directory = store_dir(tmp_path_factory.mktemp("effect"))
        sync(reader_url(url), directory)  # as the dashboard reads: a SELECT-only role
    store = Store.open_current(directory)
    yield store
    store.close()


@pytest.fixture(scope="module")
def planted_effects(demo_store: Store) -> dict[tuple[int, str], effect.Effect]:
    events = as_events()
    found = effect.effects_from_store(demo_store, events, events, TODAY)
    return {(e.event_id, e.measure): e for e in found}


def _planted(kind_of_lift):
    return [
        (index, planted) for index, planted in enumerate(PLANTED_EVENTS) if kind_of_lift(planted)
    ]


def _se(found: effect.Effect) -> float:
    """The estimate's standard error on the log scale, read back from its 95% band."""
    return (math.log1p(found.lift_high) - math.log1p(found.lift_low)) / (2 * effect.Z95)


def _distance(found: effect.Effect, lift: float) -> float:
    """How many standard errors the estimate lies from ``lift`` (on the log scale)."""
    return abs(math.log1p(found.lift) - math.log1p(lift)) / _se(found)


@pytest.mark.postgres
def test_offline_lifts_are_found(planted_effects) -> None:
    lifted = _planted(lambda p: p.measure == "offline" and p.lift > 0)
    assert len(lifted) == 3
    for index, planted in lifted:
        found = planted_effects[(index, "offline")]
        assert found.verdict == "naik", (planted, found)
        assert _distance(found, planted.lift) <= Z_CHECK, (planted, found)
        assert _distance(found, 0.0) > Z_CHECK, (planted, found)


@pytest.mark.postgres
def test_target_group_lifts_are_recovered_and_a_double_would_not_be(planted_effects) -> None:
    targeted = _planted(lambda p: p.target_group in ("perempuan", "pemuda"))
    assert len(targeted) == 2
    for index, planted in targeted:
        found = planted_effects[(index, planted.target_group)]
        assert found.verdict == "naik", (planted, found)
        assert _distance(found, planted.lift) <= Z_CHECK, (planted, found)
        assert _distance(found, 2 * planted.lift) > Z_CHECK, (planted, found)


@pytest.mark.postgres
def test_too_few_registrations_cannot_tell(planted_effects) -> None:
    [(index, _)] = _planted(lambda p: p.target_group == "disabilitas")
    assert planted_effects[(index, "disabilitas")].verdict == "tidak_cukup"


@pytest.mark.postgres
def test_events_without_a_lift_show_no_effect(planted_effects) -> None:
    unlifted = _planted(lambda p: p.lift == 0)
    assert len(unlifted) == 3
    for index, _ in unlifted:
        for measure in ("offline", "registrants"):
            found = planted_effects[(index, measure)]
            assert _distance(found, 0.0) <= Z_CHECK, found
            assert _distance(found, 2.0) > Z_CHECK, found  # the largest planted lift


@pytest.mark.postgres
def test_placebo_events_read_no_effect_at_the_stated_rate(demo_store: Store) -> None:
    planted = as_events()
    busy = {event.regency_code for event in planted}
    large = [c for c in regencies().nlargest(120, "population")["code"] if c not in busy]
    rng = np.random.default_rng(1)
    for measure in ("registrants", "pemuda"):
        matrix = effect.daily_counts(demo_store, PERIOD, measure)
        verdicts = []
        for i in range(50):
            start = date(2020, 6, 29) + timedelta(days=int(rng.integers(0, 50)))
            placebo = Event(str(rng.choice(large)), start, start, "sosialisasi", "umum", "x", id=i)
            verdicts.append(effect.estimate(placebo, measure, matrix, planted).verdict)
        assert verdicts.count("tidak_terlihat") >= 45, (measure, verdicts)


def test_daily_registrants_reconcile_with_the_replica(sqlite_replica) -> None:
    counted = metrics.daily_registrants(
        sqlite_replica.store(), Filters(*PERIOD, channels=("offline",), genders=("F",))
    )
    engine = create_engine(sqlite_replica.url)
    with engine.connect() as connection:
        direct = connection.execute(
            text(
                "SELECT count(*) FROM registrants WHERE regency_code = '3201' AND channel ="
                " 'offline' AND gender = 'F' AND registered_at >= '2020-07-01'"
                " AND registered_at < '2020-08-01'"
            )
        ).scalar_one()
    engine.dispose()
    july = counted.loc[
        (counted["code"] == "3201") & counted["day"].between("2020-07-01", "2020-07-31")
    ]
    assert direct > 0
    assert int(july["registrants"].sum()) == direct


def test_planted_lifts_keep_the_calibrated_totals() -> None:
    tables = generator.generate(0.002)
    assert len(tables["registrants"]) == generator.target_counts(0.002)["registrants"]
    assert tables["registrants"]["registered_at"].is_monotonic_increasing
    assert tables["registrants"]["id"].tolist() == list(range(1, len(tables["registrants"]) + 1))


def test_windows_and_measures_follow_the_event() -> None:
    event = Event("3201", date(2020, 7, 6), date(2020, 8, 30), "sosialisasi", "pemuda", "x")
    assert effect.windows(event) == (date(2020, 5, 25), date(2020, 7, 6), 42)
    assert effect.measures_for(event) == ["registrants", "offline", "pemuda"]
    assert effect.headline_measure(event) == "pemuda"
