"""Dampak sosialisasi recovers the effects planted in the synthetic replica, and claims none
where there is none, under the replica's harder truth (``synthetic.planted``): regency-specific
trends (a random walk, 0.02 a week), weekly scatter beyond Poisson (0.08), a dip the week
before every planted event, spillover into neighbours, and events without any effect.

Every tolerance comes from the estimate's own standard error (``se``, read back from its 95%
band), at :data:`Z_CHECK` standard errors: about 1 in 1,000 per check by chance, so the checks
hold for any seed, not only for the one that happens to be used. At the demo scale 0.05:
- every planted lift (offline +150%/+200%, all registrants +40%, women +50%, youth +60%) lies
  within Z_CHECK·se of its estimate, and the primary measure reads "naik" (its 95% band
  rules out no effect);
- the disability event (one day, a handful of people): "data belum cukup";
- events without a lift: no effect lies within Z_CHECK·se, and the verdict is never
  "naik"/"turun";
- the comparison never holds an event regency's neighbours, where the spillover lands;
- a regency already diverging before an "event" reads "sudah berbeda sebelum kegiatan";
- placebo events (no event), 200 at random and 200 right after the regency's own dip, with
  the screen's estimator: at most 5% read "naik" or "turun" (the nominal rate), and at most
  5% + two binomial standard errors of those with an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from conftest import _temporary_database, reader_url
from sqlalchemy import create_engine, text

from geo.adjacency import neighbours
from outreach import calibrate, effect
from outreach.events import Event
from queries import metrics
from queries.filters import Filters
from queries.store import Store, store_dir
from queries.sync import sync
from synthetic import generator
from synthetic.planted import PLANTED_EVENTS, spillovers

Z_CHECK = 3.29
"""Standard errors of slack: a two-sided 99.9% band."""
PLACEBOS = 200
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
    """The estimate's standard error on the log scale, read back from its 95% band (its
    t quantile is at most that of 4 degrees of freedom; 1.96 gives the wider se)."""
    return (math.log1p(found.lift_high) - math.log1p(found.lift_low)) / (2 * 1.96)


def _distance(found: effect.Effect, lift: float) -> float:
    """How many standard errors the estimate lies from ``lift`` (on the log scale)."""
    return abs(math.log1p(found.lift) - math.log1p(lift)) / _se(found)


@pytest.mark.postgres
def test_every_planted_lift_is_recovered_on_its_primary_measure(planted_effects) -> None:
    lifted = _planted(lambda p: p.lift > 0 and p.target_group != "disabilitas")
    assert len(lifted) == 5
    for index, planted in lifted:
        found = planted_effects[(index, planted.group)]
        assert found.primary, (planted, found)
        assert found.verdict == "naik", (planted, found)  # its 95% band rules out 0
        assert _distance(found, planted.lift) <= Z_CHECK, (planted, found)


@pytest.mark.postgres
def test_too_few_registrations_cannot_tell(planted_effects) -> None:
    [(index, _)] = _planted(lambda p: p.target_group == "disabilitas")
    assert planted_effects[(index, "disabilitas")].verdict == "tidak_cukup"


@pytest.mark.postgres
def test_events_without_a_lift_show_no_effect(planted_effects) -> None:
    unlifted = _planted(lambda p: p.lift == 0)
    assert len(unlifted) == 3
    for index, _ in unlifted:
        found = planted_effects[(index, "registrants")]
        assert found.primary and found.verdict not in effect.JUDGED, found
        assert _distance(found, 0.0) <= Z_CHECK, found


@pytest.mark.postgres
def test_the_comparison_leaves_out_the_neighbours_where_outreach_spills_over(
    demo_store: Store,
) -> None:
    matrix = effect.daily_counts(demo_store, PERIOD, "registrants")
    spilled = {echo.regency_code for echo in spillovers()}
    near, _ = neighbours()
    for event in as_events():
        first_before, start, _days = effect.windows(event)
        left_out = set(near[event.regency_code])
        controls = effect.comparison_regencies(
            event.regency_code, left_out, matrix, first_before, start
        )
        assert not left_out & set(controls)
        assert not (spilled & near[event.regency_code]) & set(controls), event


@pytest.mark.postgres
def test_a_regency_already_diverging_is_not_credited_to_a_later_event(demo_store: Store) -> None:
    # Kabupaten Bogor's planted +40% runs 13 July – 9 August: an "event" on 10 August has
    # that rise in the last four weeks of its before window.
    [(_index, planted)] = _planted(lambda p: p.measure == "registrants" and p.lift > 0)
    later = Event(
        planted.regency_code,
        date(2020, 8, 10),
        date(2020, 8, 10),
        "sosialisasi",
        "umum",
        "x",
        id=99,
    )
    matrix = effect.daily_counts(demo_store, PERIOD, "registrants")
    found = effect.estimate(later, "registrants", matrix, as_events())
    assert found.verdict == "sudah_berbeda", found
    assert found.pre_low > 0
    assert max(found.weekly_gap[4:8]) > 0.2  # the event study shows the rise before


@pytest.fixture(scope="module")
def placebo_rows(demo_store: Store) -> dict[str, calibrate.Row]:
    matrix = effect.daily_counts(demo_store, PERIOD, "registrants")
    rng = np.random.default_rng(7)
    events = as_events()
    placed = {
        "random": calibrate.random_placebos(matrix, events, PLACEBOS, rng),
        "after_dip": calibrate.after_dip_placebos(matrix, events, PLACEBOS, rng),
    }
    return {
        where: calibrate.tally(where, "registrants", placebos, matrix, events)
        for where, placebos in placed.items()
    }


@pytest.mark.postgres
@pytest.mark.parametrize("placement", calibrate.PLACEMENTS)
def test_placebo_events_claim_no_more_false_effects_than_nominal(placebo_rows, placement) -> None:
    row = placebo_rows[placement]
    assert row.placebos == PLACEBOS and row.estimated >= PLACEBOS // 2, row
    assert row.false_rate <= 0.05, row
    slack = 2 * math.sqrt(0.05 * 0.95 / row.estimated)
    assert row.rate_of_estimated <= 0.05 + slack, row


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
    assert effect.windows(event) == (date(2020, 5, 4), date(2020, 7, 6), 42)
    assert effect.measures_for(event) == ["registrants", "offline", "pemuda"]
    assert effect.primary_measure(event) == "pemuda"
    general = replace(event, target_group="umum", kind="layanan_luring")
    assert effect.primary_measure(general) == "registrants"  # before window before 15 June
    assert effect.primary_measure(replace(general, start_date=date(2020, 8, 17))) == "offline"
    assert effect.primary_measure(replace(general, start_date=date(2020, 8, 16))) == "registrants"
