"""Read-only access to the replica, enforced in the connection (never by convention).

SQLite files are opened with ``mode=ro``; PostgreSQL sessions start with
``default_transaction_read_only=on`` and a ``statement_timeout``. A write through either
engine fails (``tests/test_replica_readonly.py`` proves it).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from queries import writer
from queries.settings import STATEMENT_TIMEOUT_MS


class ReplicaUnavailableError(RuntimeError):
    """The replica cannot be reached; the message is shown to users in Bahasa Indonesia."""


@dataclass(frozen=True)
class ReplicaStatus:
    """What the dashboard shows about the source: kind, as-of time, replication lag."""

    kind: str  # 'sqlite' | 'postgresql'
    as_of: datetime
    lag_seconds: float | None


def _session_options() -> str:
    timeout = int(STATEMENT_TIMEOUT_MS.get())
    return f"-c default_transaction_read_only=on -c statement_timeout={timeout}"


def replica_engine(url: str) -> Engine:
    """A SQLAlchemy engine on the replica that cannot write."""
    if writer.is_sqlite(url):
        path = writer.sqlite_path(url)
        if not path.exists():
            raise ReplicaUnavailableError(f"Berkas replika tidak ditemukan: {path}")
        return create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True),
        )
    return create_engine(
        writer.sqlalchemy_url(url),
        connect_args={"options": _session_options(), "connect_timeout": 5},
        pool_pre_ping=True,
    )


def pg_connect(url: str) -> psycopg.Connection:
    """A raw psycopg connection for bulk COPY ... TO STDOUT, read-only like the engine."""
    try:
        return psycopg.connect(
            writer.libpq_conninfo(url), options=_session_options(), connect_timeout=5
        )
    except psycopg.OperationalError as error:
        raise ReplicaUnavailableError(_unreachable(error)) from error


def _unreachable(error: Exception) -> str:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"Replika tidak dapat dijangkau: {first_line}"


_PG_STATUS = text(
    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END, now()"
)


def replica_status(engine: Engine) -> ReplicaStatus:
    """As-of time of the data: for a PostgreSQL standby its last replayed transaction."""
    if engine.dialect.name == "sqlite":
        return ReplicaStatus("sqlite", datetime.now().astimezone(), None)
    try:
        with engine.connect() as conn:
            replayed, now = conn.execute(_PG_STATUS).one()
    except SQLAlchemyError as error:
        raise ReplicaUnavailableError(_unreachable(error)) from error
    if replayed is None:  # a primary, or a standby that has replayed nothing yet
        return ReplicaStatus("postgresql", now, None)
    return ReplicaStatus("postgresql", replayed, max(0.0, (now - replayed).total_seconds()))
