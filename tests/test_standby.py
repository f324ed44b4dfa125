"""Faults against a real streaming hot standby (issue #6): writes, lag, an unreachable
standby, statement timeouts and multi-host failover.

The pair (primary + standby on free loopback ports) comes from ``tests/standby.py``; the
data is the synthetic replica at scale 0.002, loaded on the primary and replayed by the
standby. Tests that stop a server start it again; ``standby_pair`` also restarts whatever a
failed test left stopped.
"""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from standby import DATABASE, StreamingPair, free_port

from queries import metrics, urls
from queries.filters import Filters
from queries.replica import (
    ReplicaTimeoutError,
    ReplicaUnavailableError,
    pg_connect,
    replica_engine,
    replica_status,
    run_readonly,
)
from queries.store import Store, current_version, store_dir
from queries.sync import sync
from synthetic import generator

FULL = Filters(date(2020, 4, 11), date(2020, 9, 3))
WRITES = (
    "DELETE FROM registrants",
    "UPDATE registrants SET gender = 'M'",
    "CREATE TABLE intruder (id INTEGER)",
    "INSERT INTO platforms (id, name) VALUES (99, 'x')",
)
FACT_TABLES = ("registrants", "training_completions", "incentive_payments")


def _engine_write_error(url: str, statement: str) -> str:
    engine = replica_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text(statement))
        assert run_readonly(engine, "SELECT count(*) FROM platforms") == [(7,)]
    finally:
        engine.dispose()
    return str(caught.value.orig)


def _totals(directory) -> pd.DataFrame:
    store = Store.open_current(directory)
    try:
        return metrics.totals(store, FULL)
    finally:
        store.close()


def _server_port(url: str) -> tuple[int, bool]:
    """Port and recovery state of the server ``url`` reaches, through both of our paths."""
    engine = replica_engine(url)
    try:
        ((port, in_recovery),) = run_readonly(
            engine, "SELECT inet_server_port(), pg_is_in_recovery()"
        )
    finally:
        engine.dispose()
    with pg_connect(url) as conn:
        assert conn.execute("SELECT inet_server_port()").fetchone() == (port,)
    return port, in_recovery


def test_writes_fail_on_the_standby_and_through_our_engine_on_the_primary(
    standby_pair: StreamingPair,
) -> None:
    for statement in WRITES:
        for url in (standby_pair.standby_url, standby_pair.primary_url):
            message = _engine_write_error(url, statement)
            assert "read-only transaction" in message, (url, statement, message)
    # The standby refuses writes by itself, also in a session that asks for read-write.
    with psycopg.connect(urls.libpq_conninfo(standby_pair.standby_url)) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="read-only"):
            conn.execute("CREATE TABLE intruder (id INTEGER)")
        conn.rollback()
        with pytest.raises(psycopg.Error, match="during recovery"):
            conn.execute("SET TRANSACTION READ WRITE")


def test_sync_from_the_standby_and_incrementally_after_the_primary_writes(
    standby_pair: StreamingPair, tmp_path
) -> None:
    engine = replica_engine(standby_pair.standby_url)
    try:
        status = replica_status(engine)
        ((replayed,),) = run_readonly(engine, "SELECT pg_last_xact_replay_timestamp()")
    finally:
        engine.dispose()
    assert status.kind == "postgresql"
    assert status.as_of == replayed
    assert status.lag_seconds is not None and status.lag_seconds >= 0

    directory = store_dir(tmp_path)
    first = sync(standby_pair.standby_url, directory)
    assert first.mode == "full"
    (registrants,) = standby_pair.primary.row("SELECT count(*) FROM registrants", (), DATABASE)
    assert first.rows_copied["registrants"] == registrants
    meta = Store.open_current(directory).meta()
    assert meta["replica_kind"] == "postgresql" and meta["lag_seconds"] != ""

    added = generator.append_days(standby_pair.primary_url, days=2)
    standby_pair.wait_for_replay()
    second = sync(standby_pair.standby_url, directory)
    assert second.mode == "incremental"
    for table in FACT_TABLES:
        assert second.rows_copied[table] == added[table] > 0, table


def test_an_unreachable_standby_keeps_the_published_store_and_recovers(
    standby_pair: StreamingPair, tmp_path
) -> None:
    directory = store_dir(tmp_path)
    sync(standby_pair.standby_url, directory)
    published = current_version(directory)
    before = _totals(directory)
    engine = replica_engine(standby_pair.standby_url)  # made while the standby is up
    replica_status(engine)

    standby_pair.stop_standby()
    try:
        with pytest.raises(ReplicaUnavailableError, match="tidak dapat dijangkau"):
            sync(standby_pair.standby_url, directory)
        with pytest.raises(ReplicaUnavailableError, match="tidak dapat dijangkau"):
            replica_status(engine)
        with pytest.raises(ReplicaUnavailableError, match="tidak dapat dijangkau"):
            pg_connect(standby_pair.standby_url)
        assert current_version(directory) == published
        assert not list(directory.glob("*.building"))
        pd.testing.assert_frame_equal(_totals(directory), before)
    finally:
        standby_pair.start_standby()

    # Recovery without a restart: the same engine and the same store directory carry on.
    assert replica_status(engine).lag_seconds is not None
    engine.dispose()
    report = sync(standby_pair.standby_url, directory)
    assert report.mode == "incremental"
    assert current_version(directory) != published
    pd.testing.assert_frame_equal(_totals(directory), before)


def test_a_restarted_standby_that_replayed_no_commit_yet_is_not_reported_as_current(
    standby_pair: StreamingPair,
) -> None:
    """After a restart, pg_last_xact_replay_timestamp() is NULL until the next commit
    arrives; the data is then as of the restartpoint the standby started from."""
    standby_pair.primary.query("CHECKPOINT")
    standby_pair.wait_for_replay()
    standby_pair.stop_standby()
    standby_pair.start_standby()
    replayed, checkpoint = standby_pair.standby.row(
        "SELECT pg_last_xact_replay_timestamp(), (pg_control_checkpoint()).checkpoint_time"
    )
    assert replayed is None
    engine = replica_engine(standby_pair.standby_url)
    try:
        status = replica_status(engine)
    finally:
        engine.dispose()
    assert status.as_of == checkpoint
    assert status.lag_seconds is not None


def test_a_standby_going_away_during_a_copy_is_reported_as_unreachable(
    standby_pair: StreamingPair,
) -> None:
    with pg_connect(standby_pair.standby_url) as conn:
        stopper = threading.Timer(0.3, standby_pair.stop_standby)
        stopper.start()
        try:
            with (
                pytest.raises(ReplicaUnavailableError, match="tidak dapat dijangkau") as caught,
                conn.cursor() as cursor,
                cursor.copy("COPY (SELECT pg_sleep(10)) TO STDOUT") as copy,
            ):
                for _ in copy:
                    pass
        finally:
            stopper.join()
    assert "administrator command" in str(caught.value)
    standby_pair.start_standby()


def test_a_statement_over_the_timeout_says_what_to_do_and_the_session_continues(
    standby_pair: StreamingPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRAKERJA_STATEMENT_TIMEOUT_MS", "50")
    engine = replica_engine(standby_pair.standby_url)
    try:
        ((pid,),) = run_readonly(engine, "SELECT pg_backend_pid()")
        with pytest.raises(ReplicaTimeoutError, match="PRAKERJA_STATEMENT_TIMEOUT_MS") as caught:
            run_readonly(engine, "SELECT pg_sleep(1)")
        assert "50 ms" in str(caught.value) and "Persempit rentang tanggal" in str(caught.value)
        assert getattr(getattr(caught.value.__cause__, "orig", None), "sqlstate", None) == "57014"
        assert run_readonly(engine, "SELECT pg_backend_pid()") == [(pid,)]  # same session
        assert replica_status(engine).kind == "postgresql"
    finally:
        engine.dispose()

    with pg_connect(standby_pair.standby_url) as conn:
        [(pid,)] = conn.execute("SELECT pg_backend_pid()").fetchall()
        with (
            pytest.raises(ReplicaTimeoutError, match="melebihi batas waktu"),
            conn.cursor() as cursor,
            cursor.copy("COPY (SELECT pg_sleep(1)) TO STDOUT") as copy,
        ):
            for _ in copy:
                pass
        conn.rollback()
        assert conn.execute("SELECT pg_backend_pid()").fetchone() == (pid,)


def test_a_sync_blocked_on_the_standby_times_out_and_keeps_the_store(
    standby_pair: StreamingPair, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema change holding a lock on the primary blocks the standby's readers too (the
    lock is replayed); the refresh gives up after statement_timeout instead of hanging."""
    directory = store_dir(tmp_path)
    sync(standby_pair.standby_url, directory)
    published = current_version(directory)
    monkeypatch.setenv("PRAKERJA_STATEMENT_TIMEOUT_MS", "300")
    with psycopg.connect(urls.libpq_conninfo(standby_pair.primary_url)) as migration:
        migration.execute("LOCK TABLE registrants IN ACCESS EXCLUSIVE MODE")
        migration.execute("SELECT pg_switch_wal()")  # ship the lock record right away
        standby_pair.wait_for_replay()
        with pytest.raises(ReplicaTimeoutError, match="melebihi batas waktu"):
            sync(standby_pair.standby_url, directory)
        migration.rollback()
    assert current_version(directory) == published
    assert not list(directory.glob("*.building"))
    standby_pair.wait_for_replay()
    assert sync(standby_pair.standby_url, directory).mode == "incremental"


@pytest.mark.parametrize("form", ["libpq", "query"])
def test_a_multi_host_url_fails_over_past_a_dead_host(
    standby_pair: StreamingPair, tmp_path, form: str
) -> None:
    dead, port = free_port(), standby_pair.standby.port
    url = (
        f"postgresql://postgres@127.0.0.1:{dead},127.0.0.1:{port}/{DATABASE}"
        "?target_session_attrs=any"
        if form == "libpq"
        else f"postgresql://postgres@/{DATABASE}?host=127.0.0.1:{dead}&host=127.0.0.1:{port}"
    )
    assert _server_port(url) == (port, True)
    engine = replica_engine(url)
    try:
        assert replica_status(engine).lag_seconds is not None
    finally:
        engine.dispose()
    report = sync(url, store_dir(tmp_path))
    assert report.rows_copied["registrants"] > 0


def test_a_multi_host_url_fails_over_from_a_stopped_primary_to_the_standby(
    standby_pair: StreamingPair, tmp_path
) -> None:
    primary, standby = standby_pair.primary.port, standby_pair.standby.port
    url = f"postgresql://postgres@/{DATABASE}?host=127.0.0.1:{primary}&host=127.0.0.1:{standby}"
    assert _server_port(url) == (primary, False)  # both up: the first host answers
    assert _server_port(url + "&target_session_attrs=prefer-standby") == (standby, True)
    standby_pair.stop_primary()
    try:
        assert _server_port(url) == (standby, True)
        report = sync(url, store_dir(tmp_path))  # the standby serves its replayed data
        assert report.rows_copied["registrants"] > 0
    finally:
        standby_pair.start_primary()
