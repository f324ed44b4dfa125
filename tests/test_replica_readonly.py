"""The project's replica engine cannot write, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from queries.replica import ReplicaUnavailableError, pg_connect, replica_engine, replica_status


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM registrants",
        "UPDATE registrants SET gender = 'M'",
        "CREATE TABLE intruder (id INTEGER)",
        "INSERT INTO platforms (id, name) VALUES (99, 'x')",
    ],
)
def test_writes_through_the_replica_engine_fail(replica, statement: str) -> None:
    engine = replica_engine(replica.url)
    try:
        with pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"), engine.begin() as conn:
            conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM platforms")).scalar_one() == 7
    finally:
        engine.dispose()


def test_bulk_copy_sessions_are_read_only(pg_replica) -> None:
    with pg_connect(pg_replica.url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchall()[0][0] == "on"
        assert conn.execute("SHOW statement_timeout").fetchall()[0][0] != "0"


def test_unreachable_replica_gives_a_clear_message() -> None:
    engine = replica_engine("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(ReplicaUnavailableError, match="tidak dapat dijangkau"):
        replica_status(engine)
    with pytest.raises(ReplicaUnavailableError, match="tidak ditemukan"):
        replica_engine("sqlite:////nonexistent/replica.sqlite")
