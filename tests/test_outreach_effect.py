"""Dampak sosialisasi recovers the effects planted in the synthetic replica.

Tolerances (stated here and in README):
- offline lifts (three events, 20–80 offline registrations per window at scale 0.05): the
  verdict is "naik" and the 95% band contains the planted lift;
- target-group lifts for women and youth (100–500 registrations per window): the estimate is
  within 0.15 (15 percentage points) of the planted lift and the band contains it;
- the disability event has too few registrations: "data belum cukup untuk menilai";
- events without a lift: all three planted ones read "tidak terlihat dampak", and of 100
  placebo events (random large regencies and weeks, no event) at least 90% do too
  (the band is a 95% band).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from conftest import _temporary_database, reader_url
from sqlalchemy import create_engine, text

from geo.regions import regencies
from outreach import effect
from outreach.events import Event
from queries import demo, metrics
from queries.demo_outreach import PLANTED_EVENTS
from queries.filters import Filters
from queries.store import Store, store_dir
from queries.sync import sync

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
def demo_store(tmp_path_factory) -> Store:
    """The demo replica at the app's default scale (PostgreSQL: the fastest to write)."""
    with _temporary_database() as url:
        demo.build(url, EFFECT_SCALE)
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


@pytest.mark.postgres
def test_offline_lifts_are_found(planted_effects) -> None:
    lifted = _planted(lambda p: p.measure == "offline" and p.lift > 0)
    assert len(lifted) == 3
    for index, planted in lifted:
        found = planted_effects[(index, "offline")]
        assert found.verdict == "naik", (planted, found)
        assert found.lift_low <= planted.lift <= found.lift_high, (planted, found)


@pytest.mark.postgres
def test_target_group_lifts_are_recovered_within_15_points(planted_effects) -> None:
    for index, planted in _planted(lambda p: p.target_group in ("perempuan", "pemuda")):
        found = planted_effects[(index, planted.target_group)]
        assert found.verdict == "naik"
        assert abs(found.lift - planted.lift) <= 0.15, (planted, found)
        assert found.lift_low <= planted.lift <= found.lift_high


@pytest.mark.postgres
def test_too_few_registrations_cannot_tell(planted_effects) -> None:
    [(index, _)] = _planted(lambda p: p.target_group == "disabilitas")
    assert planted_effects[(index, "disabilitas")].verdict == "tidak_cukup"


@pytest.mark.postgres
def test_events_without_a_lift_show_no_effect(planted_effects) -> None:
    unlifted = _planted(lambda p: p.lift == 0)
    assert len(unlifted) == 3
    for index, _ in unlifted:
        assert planted_effects[(index, "offline")].verdict == "tidak_terlihat"
        assert planted_effects[(index, "registrants")].verdict == "tidak_terlihat"


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
    tables = demo.generate(0.002)
    assert len(tables.registrants) == demo.target_counts(0.002)["registrants"]
    assert tables.registrants["registered_at"].is_monotonic_increasing
    assert tables.registrants["id"].tolist() == list(range(1, len(tables.registrants) + 1))


def test_windows_and_measures_follow_the_event() -> None:
    event = Event("3201", date(2020, 7, 6), date(2020, 8, 30), "sosialisasi", "pemuda", "x")
    assert effect.windows(event) == (date(2020, 5, 25), date(2020, 7, 6), 42)
    assert effect.measures_for(event) == ["registrants", "offline", "pemuda"]
    assert effect.headline_measure(event) == "pemuda"
