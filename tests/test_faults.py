"""The fault suite (issue #14): each realistic fault of a production replica, staged on real
SQLite and PostgreSQL replicas, then the exact numbers checked against a direct SQL count on
the replica and the message a user sees. ``docs/RELIABILITY.md`` has the results table.

Each test gets its own copy of a small replica (a file copy, or ``CREATE DATABASE … TEMPLATE``)
and stages its fault through an admin connection; the refresh reads through the dashboard's
own path (on PostgreSQL a SELECT-only role).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import io
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN, _drop_database, reader_url
from fault_fixtures import (
    FAULT_SCALE,
    WHOLE,
    FaultReplica,
    _registrant,
    assert_equals_full_rebuild,
)

from queries import bootstrap, metrics
from queries import sync as sync_module
from queries.health import SchemaDriftError, WritableReplicaError, read_health, record_failure
from queries.replica import pg_connect, replica_engine, write_privileges
from queries.settings import ConfigError
from queries.store import Store, current_version, store_dir
from queries.sync import sync
from synthetic import generator

ROOT = Path(__file__).resolve().parents[1]


VALID_REGISTRANTS = (
    "SELECT count(*) FROM registrants WHERE registered_at >= '2020-03-20' "
    "AND registered_at < '2030-01-01' AND gender IN ('F', 'M') "
    "AND channel IN ('online', 'offline')"
)


# --- 1. no lost rows ------------------------------------------------------------------------


def test_rows_committed_out_of_order_are_caught(fault_templates, tmp_path, monkeypatch) -> None:
    """Two real PostgreSQL transactions: the later id commits first and is copied; the
    earlier id commits after that refresh and is caught by the next one, by the trailing
    window, and with no window at all by the count/id-sum reconciliation."""
    name = f"prakerja_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{fault_templates["postgresql"]}"')
    admin = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        replica = FaultReplica("postgresql", admin, reader_url(admin), store_dir(tmp_path))
        replica.execute("SELECT setval('registrants_id_seq', (SELECT max(id) FROM registrants))")
        replica.sync()
        for window in (sync_module.LATE_ROWS_WINDOW, 0):
            monkeypatch.setattr(sync_module, "LATE_ROWS_WINDOW", window)
            early, late = psycopg.connect(admin), psycopg.connect(admin)
            insert = _registrant("DEFAULT") + " RETURNING id"
            early_id = early.execute(insert).fetchall()[0][0]
            late_id = late.execute(insert).fetchall()[0][0]
            assert late_id > early_id
            late.commit()
            replica.sync()
            assert replica.totals()["registrants"] == replica.scalar(VALID_REGISTRANTS)
            early.commit()
            report = replica.sync()
            assert report.mode == "incremental"
            assert replica.totals()["registrants"] == replica.scalar(VALID_REGISTRANTS)
            assert report.recopied == ([] if window else ["registrants"])
            early.close()
            late.close()
    finally:
        _drop_database(name)


def test_a_deleted_then_reinserted_row_is_reconciled(faulty: FaultReplica) -> None:
    """The issue's reproduction: delete a registrant, refresh, insert it again, refresh."""
    faulty.sync()
    count = faulty.scalar(VALID_REGISTRANTS)
    lone = faulty.scalar(  # a registrant with no events: nothing else refers to it
        "SELECT min(id) FROM registrants WHERE id NOT IN (SELECT registrant_id FROM recipients)"
    )
    faulty.execute(f"CREATE TABLE kept AS SELECT * FROM registrants WHERE id = {lone}")
    faulty.execute(f"DELETE FROM registrants WHERE id = {lone}")
    assert faulty.sync().recopied == ["registrants"]
    assert faulty.totals()["registrants"] == count - 1 == faulty.scalar(VALID_REGISTRANTS)
    faulty.execute("INSERT INTO registrants SELECT * FROM kept", "DROP TABLE kept")
    assert faulty.sync().recopied == ["registrants"]
    assert faulty.totals()["registrants"] == count == faulty.scalar(VALID_REGISTRANTS)


# --- 2. bad rows are quarantined --------------------------------------------------------------


def test_bad_rows_are_quarantined_and_never_fatal(faulty: FaultReplica) -> None:
    faulty.sync()
    before = faulty.totals()
    period = Store.open_current(faulty.store_dir).meta()["data_until"]
    top = faulty.scalar("SELECT max(id) FROM registrants")
    pay = faulty.scalar("SELECT max(id) FROM incentive_payments")
    payer = faulty.scalar("SELECT min(registrant_id) FROM incentive_payments")
    faulty.execute(
        _registrant(top + 1, "2099-01-01 00:00:00"),
        _registrant(top + 2, "2019-01-01 00:00:00"),
        _registrant(top + 3, gender="'X'"),
        "INSERT INTO incentive_payments (id, registrant_id, partner_id, kind, installment, "
        f"amount_idr, paid_at) VALUES ({pay + 1}, {payer}, 1, 'monthly', 9, -600000, "
        f"'2020-06-01 10:00:00'), ({pay + 2}, {payer}, 1, 'bonus', 1, 600000, "
        f"'2020-06-01 10:00:00')",
    )
    report = faulty.sync()
    assert report.mode == "incremental"
    assert faulty.quarantine() == {
        ("registrants", "date"): 2,
        ("registrants", "enum"): 1,
        ("incentive_payments", "amount"): 1,
        ("incentive_payments", "enum"): 1,
    }
    assert faulty.totals() == before
    assert faulty.totals()["registrants"] == faulty.scalar(VALID_REGISTRANTS)
    assert Store.open_current(faulty.store_dir).meta()["data_until"] == period  # not 2099


def test_a_registrant_duplicated_under_one_id_is_counted_once(faulty: FaultReplica) -> None:
    """Without a primary key the same registrant can appear twice; each of their events
    would be counted twice. The copy is quarantined and every metric stays exact."""
    faulty.sync()
    before = faulty.totals()
    person = faulty.scalar(
        "SELECT min(registrant_id) FROM incentive_payments WHERE registrant_id IN "
        "(SELECT registrant_id FROM training_completions)"
    )
    if faulty.kind == "sqlite":
        faulty.execute(
            "CREATE TABLE loose AS SELECT * FROM registrants",
            "DROP TABLE registrants",
            "ALTER TABLE loose RENAME TO registrants",
        )
    else:
        faulty.execute("ALTER TABLE registrants DROP CONSTRAINT registrants_pkey CASCADE")
    faulty.execute(f"INSERT INTO registrants SELECT * FROM registrants WHERE id = {person}")
    faulty.sync(full=True)
    assert faulty.quarantine() == {("registrants", "duplicate_id"): 1}
    assert faulty.totals() == before
    assert before["registrants"] == faulty.scalar("SELECT count(DISTINCT id) FROM registrants")


# --- 3. every refresh failure is visible ----------------------------------------------------


@pytest.mark.parametrize(
    "drift",
    [
        "DROP TABLE training_completions",
        "ALTER TABLE incentive_payments DROP COLUMN installment",
    ],
)
def test_schema_drift_stops_the_refresh_with_a_message(faulty: FaultReplica, drift) -> None:
    faulty.sync()
    published = current_version(faulty.store_dir)
    before = faulty.totals()
    if faulty.kind == "postgresql":
        drift += " CASCADE"
    faulty.execute(drift)
    with pytest.raises(SchemaDriftError, match="tidak sesuai kontrak data") as caught:
        faulty.sync()
    assert "Replika tidak dapat dijangkau" not in str(caught.value)
    health = read_health(faulty.store_dir)
    assert health.failures == 1 and "tidak sesuai kontrak data" in health.reason
    assert current_version(faulty.store_dir) == published
    assert faulty.totals() == before


def test_text_in_an_amount_is_reported_as_schema_drift(faulty: FaultReplica) -> None:
    faulty.sync()
    if faulty.kind == "postgresql":
        faulty.execute("ALTER TABLE incentive_payments ALTER COLUMN amount_idr TYPE text")
    faulty.execute("UPDATE incentive_payments SET amount_idr = 'enam ratus ribu' WHERE id = 1")
    with pytest.raises(SchemaDriftError, match="incentive_payments"):
        faulty.sync(full=True)
    assert read_health(faulty.store_dir).failing
    faulty.execute("UPDATE incentive_payments SET amount_idr = '600000' WHERE id = 1")
    faulty.sync(full=True)
    assert not read_health(faulty.store_dir).failing  # a success clears the banner


# --- 4. read-only that is enforced ------------------------------------------------------------


WRITES = [
    "INSERT INTO platforms (id, name) VALUES (99, 'x')",
    "UPDATE registrants SET gender = 'M'",
    "DELETE FROM registrants",
    "CREATE TABLE intruder (id INTEGER)",
]


@pytest.mark.parametrize("statement", WRITES)
def test_the_select_only_role_cannot_write_through_any_path(faulty, statement) -> None:
    """The session default can be overridden; the role's privileges cannot."""
    if faulty.kind == "sqlite":
        engine = replica_engine(faulty.url)
        with engine.connect() as conn, pytest.raises(Exception, match=r"readonly|not authorized"):
            conn.exec_driver_sql("ATTACH DATABASE ':memory:' AS other")
            conn.exec_driver_sql(statement.replace("intruder", "other.intruder"))
        engine.dispose()
        return
    engine = replica_engine(faulty.url)
    with engine.connect() as conn, pytest.raises(Exception, match="permission denied"):
        conn.exec_driver_sql("SET TRANSACTION READ WRITE")
        conn.exec_driver_sql(statement)
    engine.dispose()
    with pg_connect(faulty.url) as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute("SET default_transaction_read_only = off")
        conn.execute("BEGIN READ WRITE")
        conn.execute(statement)
    assert faulty.scalar("SELECT count(*) FROM platforms") == 7


def test_a_writable_role_is_refused_unless_the_risk_is_accepted(faulty, monkeypatch) -> None:
    if faulty.kind == "sqlite":
        assert write_privileges(replica_engine(faulty.url)) == []
        return
    with pytest.raises(WritableReplicaError, match="PRAKERJA_ACCEPT_WRITABLE_REPLICA"):
        sync(faulty.admin, faulty.store_dir)
    assert current_version(faulty.store_dir) is None
    monkeypatch.setenv("PRAKERJA_ACCEPT_WRITABLE_REPLICA", "1")
    sync(faulty.admin, faulty.store_dir)
    meta = Store.open_current(faulty.store_dir).meta()
    assert "superuser" in meta["replica_writable"]
    assert faulty.totals()["registrants"] == faulty.scalar(VALID_REGISTRANTS)


# --- 5. every command and setting fails in one line ------------------------------------------


def _command(
    args: list[str], env: dict[str, str], shell_tail: str = ""
) -> subprocess.CompletedProcess:
    """Run ``python -m …`` as a user would, with its own data directory."""
    command = " ".join([shlex.quote(sys.executable), "-m", *map(shlex.quote, args)])
    return subprocess.run(
        command + shell_tail,
        shell=True,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PRAKERJA_STATEMENT_TIMEOUT_MS", "abc"),
        ("PRAKERJA_STATEMENT_TIMEOUT_MS", "-5"),
        ("PRAKERJA_DEMO_SCALE", "besar"),
        ("PRAKERJA_REPLICA_URL", "mysql://root@localhost/prakerja"),
    ],
)
def test_a_bad_setting_is_one_line_not_a_traceback(
    pg_replica, tmp_path, monkeypatch, capsys, setting, value
) -> None:
    """The command's own entry point (``python -m queries.sync`` runs exactly this)."""
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", pg_replica.url)
    monkeypatch.setenv(setting, value)
    assert sync_module.main([]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("Galat: ") and "tidak dapat dijangkau" not in line
    assert setting in line or "PostgreSQL atau SQLite" in line


def test_metrics_from_the_demo_says_so_and_a_closed_pipe_is_quiet(tmp_path) -> None:
    env = {"PRAKERJA_DATA_DIR": str(tmp_path), "PRAKERJA_DEMO_SCALE": "0.0005"}
    env["PRAKERJA_REPLICA_URL"] = ""
    result = _command(["queries.metrics", "--level", "province"], env)
    assert result.returncode == 0, result.stderr
    assert "Data sintetis" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 38 and {row["data_source"] for row in rows} == {"synthetic demo"}
    # a reader that goes away before the output is written, as ``head`` does after its lines
    closed = _command(["queries.metrics", "--level", "regency"], env, " | true")
    assert closed.returncode == 0
    assert _one_line(closed.stderr).startswith("Data sintetis")  # no BrokenPipeError


# --- 7. concurrent first start and back-off ----------------------------------------------------


def test_two_first_syncs_at_once_build_one_demo_and_one_store(tmp_path) -> None:
    env = {
        **os.environ,
        "PRAKERJA_DATA_DIR": str(tmp_path),
        "PRAKERJA_DEMO_SCALE": "0.0005",
        "PRAKERJA_REPLICA_URL": "",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "queries.sync"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    directory = tmp_path / "store"
    assert len(list(directory.glob("store-*.duckdb"))) == 1
    assert not list(directory.glob("*.building*")) and not list(tmp_path.glob("*.building"))


def test_visitors_at_first_start_wait_for_one_build(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRAKERJA_DEMO_SCALE", "0.0005")
    monkeypatch.delenv("PRAKERJA_REPLICA_URL", raising=False)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: bootstrap.ensure_store(), range(4)))
    assert len(set(results)) == 1
    assert len(list(results[0].glob("store-*.duckdb"))) == 1
    assert read_health(results[0]).failures == 0


def test_failures_before_the_sync_are_recorded_and_logged(tmp_path, monkeypatch, caplog) -> None:
    """A bad setting and a failed demo build stop the refresh before ``sync``: they reach the
    banners and the back-off all the same, and the app's refresher logs them."""
    from dashboard.data import RefreshState

    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PRAKERJA_REPLICA_URL", raising=False)
    monkeypatch.setenv("PRAKERJA_DEMO_SCALE", "banyak")
    with pytest.raises(ConfigError):
        sync_module.refresh()
    health = read_health(bootstrap.default_store_dir())
    assert health.failures == 1 and "PRAKERJA_DEMO_SCALE" in health.reason
    monkeypatch.setenv("PRAKERJA_DEMO_SCALE", "0.0005")
    (tmp_path / "demo-replica-0.0005.sqlite.building").mkdir()  # the build cannot write it
    refresher = RefreshState(running=True)
    with caplog.at_level(logging.ERROR, logger="dashboard.data"):
        refresher._run()
    assert not refresher.running
    (record,) = [r for r in caplog.records if r.name == "dashboard.data"]  # not import warnings
    assert record.exc_info and "gagal" in record.getMessage()
    health = read_health(bootstrap.default_store_dir())
    assert health.failures == 2 and "tidak dapat ditulis" in health.reason


def test_failed_refreshes_back_off_exponentially_up_to_the_interval(tmp_path) -> None:
    interval = timedelta(minutes=3)
    delays = []
    for _ in range(5):
        health = record_failure(tmp_path, "Replika tidak sesuai kontrak data: …")
        last = datetime.fromisoformat(health.last_attempt)
        delays.append((read_health(tmp_path).next_attempt(interval) - last).total_seconds())
    assert delays == [30, 60, 120, 180, 180]
    assert read_health(tmp_path).failing_since == record_failure(tmp_path, "x").failing_since


# --- issue #10 item 5: crash safety and disk ---------------------------------------------------


def _env_for(replica: FaultReplica, data: Path) -> dict[str, str]:
    return {"PRAKERJA_DATA_DIR": str(data), "PRAKERJA_REPLICA_URL": replica.url}


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".building" in p.name or "tmp" in p.name]


def _run_sync(replica: FaultReplica, data: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "queries.sync", *args],
        env={**os.environ, **_env_for(replica, data)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_sync_leaves_nothing_behind_after_the_next_refresh(tmp_path) -> None:
    path = tmp_path / "replica.sqlite"
    generator.build(f"sqlite:///{path}", FAULT_SCALE)
    replica = FaultReplica("sqlite", f"sqlite:///{path}", f"sqlite:///{path}", tmp_path / "d")
    directory = store_dir(tmp_path / "d")
    sync(replica.url, directory)
    before = _store_totals(directory)
    run = _run_sync(replica, tmp_path / "d", "--full")
    deadline = time.monotonic() + 120
    while not _leftovers(directory) and time.monotonic() < deadline:
        time.sleep(0.002)  # kill the moment it has a half-built version or a work folder
    run.send_signal(signal.SIGKILL)
    run.wait()
    leftovers = _leftovers(directory)
    assert leftovers, "the kill came too late to leave anything"
    assert _store_totals(directory) == before  # the previous version still answers
    for _ in range(2):  # versions stay bounded however many refreshes run
        sync(replica.url, directory)
    names = sorted(p.name for p in directory.iterdir())
    assert [n for n in names if ".building" in n or n.startswith("tmp")] == []
    assert len([n for n in names if n.startswith("store-") and n.endswith(".duckdb")]) == 1
    assert _store_totals(directory) == before


def _undisturbed_seconds(replica: FaultReplica, data: Path, probe: Path) -> float:
    """How long one incremental ``python -m queries.sync`` takes here, on a copy of the data
    folder: fixed kill moments were all too late once CI's machine ran it in under 1 s."""
    shutil.copytree(data, probe)
    started = time.monotonic()
    assert _run_sync(replica, probe).wait() == 0
    return time.monotonic() - started


def test_an_incremental_sync_killed_at_any_point_is_recovered(tmp_path) -> None:
    """Kill ``python -m queries.sync`` at several moments of an incremental refresh (copying
    into the staging, updating the new version, committing): the previous or the new
    version answers every time, and the next refresh equals a full rebuild."""
    path = tmp_path / "replica.sqlite"
    generator.build(f"sqlite:///{path}", FAULT_SCALE)
    directory = store_dir(tmp_path / "d")
    replica = FaultReplica("sqlite", f"sqlite:///{path}", f"sqlite:///{path}", directory)
    sync(replica.url, directory)
    before = _store_totals(directory)
    generator.append_days(replica.admin, days=1)
    seconds = _undisturbed_seconds(replica, tmp_path / "d", tmp_path / "probe")
    killed = 0
    for fraction in (0.45, 0.55, 0.65, 0.75, 0.85, 0.95) * 2:
        if killed == 4:
            break
        started = time.monotonic()
        run = _run_sync(replica, tmp_path / "d")
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.wait(timeout=fraction * seconds)
        run.send_signal(signal.SIGKILL)
        if run.wait() == -signal.SIGKILL:
            killed += 1
        else:  # it finished first (the probe ran slower: CI saw 3.5 s, then runs under 1.6 s):
            seconds = time.monotonic() - started  # time the next kills on this run
            generator.append_days(replica.admin, days=1)  # and give the next one a day
        assert _store_totals(directory)["registrants"] >= before["registrants"]
    assert killed, f"every run finished before its kill (the last took {seconds:.2f} s)"
    assert sync(replica.url, directory).mode == "incremental"  # the staging was kept
    assert_equals_full_rebuild(replica, tmp_path)


def test_a_staging_ahead_of_the_published_version_rebuilds_the_aggregates(tmp_path) -> None:
    """A kill after the staging's commit and before ``CURRENT`` moves: the staging holds
    rows the current version lacks. The next refresh rebuilds the pre-aggregates from the
    staging instead of updating that version (which would miss those rows for good)."""
    path = tmp_path / "replica.sqlite"
    generator.build(f"sqlite:///{path}", FAULT_SCALE)
    directory = store_dir(tmp_path / "d")
    replica = FaultReplica("sqlite", f"sqlite:///{path}", f"sqlite:///{path}", directory)
    sync(replica.url, directory)
    behind = Store.open_current(directory)  # its lease keeps the file after the next refresh
    generator.append_days(replica.admin, days=1)
    sync(replica.url, directory)
    (directory / "CURRENT").write_text(behind.version)  # as if the rename never happened
    behind.close()
    report = sync(replica.url, directory)
    assert (report.mode, report.rows_copied["registrants"]) == ("incremental", 0)
    assert report.facts_rows_touched is None  # rebuilt from the staging, not updated
    assert_equals_full_rebuild(replica, tmp_path)


def test_a_corrupt_current_version_is_reported_in_one_line_and_rebuilt(
    tmp_path, monkeypatch, capsys
) -> None:
    path = tmp_path / "replica.sqlite"
    generator.build(f"sqlite:///{path}", FAULT_SCALE)
    replica = FaultReplica("sqlite", f"sqlite:///{path}", f"sqlite:///{path}", tmp_path / "d")
    for name, value in _env_for(replica, tmp_path / "d").items():
        monkeypatch.setenv(name, value)
    directory = store_dir(tmp_path / "d")
    sync(replica.url, directory)
    expected = _store_totals(directory)
    current = current_version(directory)
    assert current is not None
    current.write_bytes(current.read_bytes()[: current.stat().st_size // 3])
    assert metrics.main(["--level", "province"]) == 0
    out, err = capsys.readouterr()
    assert f"Penyimpanan analitik {current.name} rusak" in err.splitlines()[0]
    assert "Traceback" not in err
    assert _store_totals(directory) == expected
    with contextlib.closing(Store.open_current(directory)) as store:
        unknown = int(metrics.unknown_codes(store)["registrants"].sum())  # not on any map
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(row["registrants"]) for row in rows) + unknown == replica.scalar(
        "SELECT count(*) FROM registrants"
    )
    (directory / "CURRENT").write_bytes(b"\xff\xfe\x00 ../../etc/passwd")  # garbage pointer
    assert sync_module.main(["--full"]) == 0
    assert _store_totals(directory) == expected


def _store_totals(directory: Path) -> dict[str, int]:
    with contextlib.closing(Store.open_current(directory)) as store:
        row = metrics.totals(store, WHOLE).iloc[0]
    return {name: int(row[name]) for name in metrics.METRICS}
