"""An incremental refresh updates only the touched ``facts`` rows, and the result is exactly
the store a full rebuild makes (issue #10): whole ``facts``, the weekly tables, the kecamatan
tables (issue #20), ``quarantine`` and ``unknown_codes`` tables compared, on SQLite and
PostgreSQL, for each kind of change."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pandas as pd
import pytest
from fault_fixtures import FaultReplica, _registrant, _tables, assert_equals_full_rebuild

from queries import metrics, staging
from queries import sync as sync_module
from queries.facts import WEEKLY
from queries.filters import Filters
from queries.quality import quarantine_note
from queries.store import Store
from synthetic import generator


def _next_id(replica: FaultReplica, table: str) -> int:
    return replica.scalar(f"SELECT max(id) FROM {table}") + 1


def _payer(replica: FaultReplica) -> int:
    """A person selected, trained and paid: every metric of theirs can move."""
    return replica.scalar(
        "SELECT min(registrant_id) FROM incentive_payments WHERE registrant_id IN "
        "(SELECT registrant_id FROM training_completions)"
    )


def late_rows(replica: FaultReplica) -> None:
    """A person's rows committed long after their ids were taken (below the window)."""
    person = _payer(replica)
    for table, column in reversed(staging.PERSON.items()):  # children first: foreign keys
        replica.execute(
            f"CREATE TABLE kept_{table} AS SELECT * FROM {table} WHERE {column} = {person}",
            f"DELETE FROM {table} WHERE {column} = {person}",
        )
    replica.sync()
    for table in staging.PERSON:
        replica.execute(f"INSERT INTO {table} SELECT * FROM kept_{table}")


def _two_more_rows_of_the_payer(replica: FaultReplica, table: str, columns: str, *rows) -> None:
    person, row = _payer(replica), _next_id(replica, table)
    values = ", ".join(f"({row + i}, {person}, {value})" for i, value in enumerate(rows))
    replica.execute(f"INSERT INTO {table} (id, registrant_id, {columns}) VALUES {values}")


def second_completion(replica: FaultReplica) -> None:
    """The same person completes two more courses, one dated before their first (the
    first day of training)."""
    course = replica.scalar("SELECT max(id) FROM courses")
    _two_more_rows_of_the_payer(
        replica,
        "training_completions",
        "course_id, completed_at",
        f"{course}, '2020-04-12 09:00:00'",
        f"{course}, '2020-08-30 09:00:00'",
    )


def reselection(replica: FaultReplica) -> None:
    """A recipient selected again in a later wave, and another one found selected earlier
    (their completions and payments move to that first wave)."""
    _two_more_rows_of_the_payer(
        replica,
        "recipients",
        "wave, selected_at",
        "7, '2020-08-20 10:00:00'",
        "1, '2020-04-11 08:00:00'",
    )


def quarantined_rows(replica: FaultReplica) -> None:
    """Rows outside the contract: a repeated instalment, a negative amount, a registration
    dated in the future, and a second person's selection under an existing selection id."""
    person = _payer(replica)
    payment = replica.scalar(
        f"SELECT min(id) FROM incentive_payments WHERE registrant_id = {person}"
    )
    row = _next_id(replica, "incentive_payments")
    copied = "registrant_id, partner_id, kind, installment, amount_idr, paid_at"
    replica.execute(
        f"INSERT INTO incentive_payments (id, {copied}) SELECT {row}, {copied} "
        f"FROM incentive_payments WHERE id = {payment}",
        f"INSERT INTO incentive_payments (id, {copied}) SELECT {row + 1}, registrant_id, "
        f"partner_id, kind, 99, -5, paid_at FROM incentive_payments WHERE id = {payment}",
        _registrant(_next_id(replica, "registrants"), "2099-01-01 00:00:00"),
    )
    other = replica.scalar(
        f"SELECT min(registrant_id) FROM recipients WHERE registrant_id > {person}"
    )
    selection = replica.scalar(f"SELECT min(id) FROM recipients WHERE registrant_id = {person}")
    _drop_primary_key(replica, "recipients")
    replica.execute(
        f"INSERT INTO recipients (id, registrant_id, wave, selected_at) VALUES "
        f"({selection}, {other}, 2, '2020-04-01 10:00:00')"
    )


def _drop_primary_key(replica: FaultReplica, table: str) -> None:
    if replica.kind == "sqlite":
        replica.execute(
            f"CREATE TABLE loose AS SELECT * FROM {table}",
            f"DROP TABLE {table}",
            f"ALTER TABLE loose RENAME TO {table}",
        )
    else:
        replica.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey CASCADE")


def one_more_day(replica: FaultReplica) -> None:
    """What production does every day: new registrants, first trainings, first payments."""
    added = generator.append_days(replica.admin, days=1)
    assert added["registrants"] > 0 and added["incentive_payments"] > 0


def kecamatan_codes(replica: FaultReplica) -> None:
    """New registrants whose kecamatan code is one of their regency's, another regency's,
    one no kecamatan has, missing, or written with the regency's pre-2022 code, two of them
    selected at once (their selection counts in their kecamatan)."""
    first = _next_id(replica, "registrants")
    cases = [
        ("3216", "'321609'"),
        ("3216", "'317101'"),
        ("3216", "'321600'"),
        ("3216", "NULL"),
        ("9101", "'910101'"),
        ("9101", "'930102'"),
    ]
    replica.execute(
        *(
            _registrant(first + i, regency_code=f"'{regency}'", district_code=code)
            for i, (regency, code) in enumerate(cases)
        )
    )
    row = _next_id(replica, "recipients")
    replica.execute(
        f"INSERT INTO recipients (id, registrant_id, wave, selected_at) VALUES "
        f"({row}, {first}, 6, '2020-08-20 10:00:00'), ({row + 1}, {first + 4}, 6, "
        "'2020-08-20 10:00:00')"
    )


def a_new_week(replica: FaultReplica) -> None:
    """Eight more days: the last day moves into a later week, and the refresh appends the
    weeks that closed to the weekly tables (they hold closed weeks only)."""
    generator.append_days(replica.admin, days=8)


def last_day_moves_back(replica: FaultReplica) -> None:
    """A registration dated weeks after every other row is counted, then deleted: the last
    day moves back, and the weeks it had closed are read from the daily tables again."""
    first = _next_id(replica, "registrants")
    replica.execute(_registrant(first, "2020-11-20 10:00:00"))
    replica.sync()
    replica.execute(
        f"DELETE FROM registrants WHERE id = {first}", _registrant(first + 1, "2020-06-01 10:00:00")
    )


CASES = [
    late_rows,
    second_completion,
    reselection,
    quarantined_rows,
    one_more_day,
    kecamatan_codes,
    a_new_week,
    last_day_moves_back,
]


@pytest.mark.parametrize("change", CASES, ids=lambda case: case.__name__)
def test_an_incremental_refresh_equals_a_full_rebuild(change, faulty, tmp_path) -> None:
    faulty.sync()
    change(faulty)
    report = faulty.sync()
    assert report.mode == "incremental"
    assert report.facts_rows_touched  # the previous version was updated, not rebuilt
    assert_equals_full_rebuild(faulty, tmp_path)


def _last_day(replica: FaultReplica) -> date:
    with contextlib.closing(Store.open_current(replica.store_dir)) as store:
        return date.fromisoformat(store.meta()["data_until"])


def _open_week_registrants(replica: FaultReplica, last: date) -> int:
    """The registrants of the week holding ``last``, as the weekly series shows them."""
    with contextlib.closing(Store.open_current(replica.store_dir)) as store:
        series = metrics.weekly_series(store, Filters(last - timedelta(days=20), last))
    return int(series["registrants"].iloc[-1])


def test_a_day_in_the_open_week_rewrites_no_weekly_row(faulty) -> None:
    """The weekly tables hold the closed weeks only: a refresh that adds a day to the store's
    last week leaves every weekly row as it was (rewriting the open week's rows scanned the
    whole of each weekly table, 10 M kecamatan rows at scale 6, on every refresh), and the
    day's people still count, in the totals and in their week's figures."""
    faulty.sync()
    last = _last_day(faulty)
    assert last.weekday() < 6  # the next day is in the same week
    weekly = {name: frame for name, frame in _tables(faulty.store_dir).items() if name in WEEKLY}
    totals, week = faulty.totals()["registrants"], _open_week_registrants(faulty, last)
    added = generator.append_days(faulty.admin, days=1)["registrants"]
    faulty.sync()
    assert _last_day(faulty) == last + timedelta(days=1)
    for name, frame in _tables(faulty.store_dir).items():
        if name in weekly:
            pd.testing.assert_frame_equal(frame, weekly[name], obj=name)
    assert faulty.totals()["registrants"] == totals + added
    assert _open_week_registrants(faulty, last + timedelta(days=1)) == week + added


def test_a_row_dated_after_the_refresh_counts_once_its_time_comes(
    faulty, tmp_path, monkeypatch
) -> None:
    """The contract's date check moves with the clock: a payment an hour and a half ahead
    is quarantined now and counted by a refresh two hours later."""
    faulty.sync()
    before = faulty.totals()
    ahead = sync_module.latest_valid_time() + timedelta(minutes=30)
    faulty.execute(
        "INSERT INTO incentive_payments (id, registrant_id, partner_id, kind, installment, "
        f"amount_idr, paid_at) VALUES ({_next_id(faulty, 'incentive_payments')}, "
        f"{_payer(faulty)}, 1, 'monthly', 42, 600000, '{ahead:%Y-%m-%d %H:%M:%S}')"
    )
    faulty.sync()
    assert faulty.quarantine() == {("incentive_payments", "date"): 1}
    assert faulty.totals() == before
    later = sync_module.latest_valid_time() + timedelta(hours=2)
    monkeypatch.setattr(sync_module, "latest_valid_time", lambda: later)
    assert faulty.sync().rows_copied["incentive_payments"] == 0
    assert faulty.quarantine() == {}
    assert faulty.totals() == {**before, "paid_idr": before["paid_idr"] + 600_000}
    assert_equals_full_rebuild(faulty, tmp_path)


def test_a_rebuilt_replica_is_detected_and_copied_whole(faulty, tmp_path) -> None:
    faulty.sync()
    if faulty.kind == "sqlite":  # rebuilt smaller: the old id watermarks mean nothing
        faulty.execute("DELETE FROM incentive_payments WHERE id > 10")
    else:
        faulty.execute("TRUNCATE incentive_payments")
    report = faulty.sync()
    assert report.mode == "full" and report.facts_rows_touched is None
    assert_equals_full_rebuild(faulty, tmp_path)


def test_no_new_rows_touch_no_facts(faulty) -> None:
    faulty.sync()
    report = faulty.sync()
    assert (report.mode, report.facts_rows_touched, report.recopied) == ("incremental", 0, [])
    assert set(report.rows_copied.values()) == {0}


def test_a_rebuild_by_chunks_of_people_equals_one_over_everyone(
    faulty, tmp_path, monkeypatch
) -> None:
    """The rebuild sums chunks of people; rows outside the contract, including a selection id
    three people share across the two chunks' boundary, give the same tables as one chunk."""
    quarantined_rows(faulty)
    selection = faulty.scalar(
        f"SELECT min(id) FROM recipients WHERE registrant_id = {_payer(faulty)}"
    )
    last = faulty.scalar("SELECT max(registrant_id) FROM recipients")
    faulty.execute(
        f"INSERT INTO recipients (id, registrant_id, wave, selected_at) VALUES "
        f"({selection}, {last}, 3, '2020-04-02 10:00:00')"
    )
    monkeypatch.setattr(staging, "PERSONS_PER_CHUNK", 10**12)
    faulty.sync(full=True)
    assert faulty.quarantine()[("recipients", "duplicate_id")] == 2
    first = faulty.scalar("SELECT min(id) FROM registrants")
    monkeypatch.setattr(staging, "PERSONS_PER_CHUNK", (last - first) // 2)
    assert_equals_full_rebuild(faulty, tmp_path)


def test_rows_with_ids_not_above_zero_are_quarantined_not_lost(faulty, tmp_path) -> None:
    """Issue #22, item 7: copies take ids above a watermark starting at 0, so rows with id 0
    or below were neither copied nor counted anywhere. Each refresh now counts them on the
    replica and quarantines them, listed with every other contract break."""
    faulty.sync()
    before = faulty.totals()
    payment = "registrant_id, partner_id, kind, installment, amount_idr, paid_at"
    faulty.execute(
        _registrant(0),
        _registrant(-1),
        f"INSERT INTO incentive_payments (id, {payment}) SELECT -7, {payment} "
        "FROM incentive_payments WHERE id = (SELECT min(id) FROM incentive_payments WHERE id > 0)",
    )
    assert faulty.sync().ids_not_positive == {"registrants": 2, "incentive_payments": 1}
    found = faulty.quarantine()
    assert found[("registrants", "id_not_positive")] == 2
    assert found[("incentive_payments", "id_not_positive")] == 1
    assert faulty.totals() == before
    with contextlib.closing(Store.open_current(faulty.store_dir)) as store:
        note = quarantine_note(metrics.quarantine(store))
    assert "pendaftar — id nol atau negatif (tidak disalin): 2 baris" in note
    assert_equals_full_rebuild(faulty, tmp_path)

    faulty.execute(_registrant(-2), "DELETE FROM incentive_payments WHERE id = -7")
    report = faulty.sync()
    assert report.mode == "incremental" and report.ids_not_positive == {"registrants": 3}
    assert faulty.quarantine().get(("registrants", "id_not_positive")) == 3
    assert ("incentive_payments", "id_not_positive") not in faulty.quarantine()
