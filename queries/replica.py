"""Read-only access to the replica, enforced in the connection (never by convention).

SQLite files are opened with ``mode=ro``; PostgreSQL sessions start with
``default_transaction_read_only=on`` and a ``statement_timeout``. A write through either
engine fails (``tests/test_replica_readonly.py`` proves it, and ``tests/test_standby.py`` on a
real streaming hot standby).

Driver errors that users can act on become this module's exceptions with messages in Bahasa
Indonesia: an unreachable or lost server raises :class:`ReplicaUnavailableError`, a statement
cancelled by ``statement_timeout`` (SQLSTATE 57014) raises :class:`ReplicaTimeoutError`. Run
statements through :func:`run_readonly` or inside :func:`translated_errors`; connections from
:func:`pg_connect` translate by themselves. The session survives a timeout.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, Row, create_engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql.elements import TextClause

from queries import writer
from queries.settings import STATEMENT_TIMEOUT_MS


class ReplicaUnavailableError(RuntimeError):
    """The replica cannot be reached; the message is shown to users in Bahasa Indonesia."""


class ReplicaTimeoutError(RuntimeError):
    """A replica statement was cancelled (``statement_timeout``); the message, in Bahasa
    Indonesia, says what to do. The session stays usable."""


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


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise timeouts and connection failures of the block as the project's exceptions."""
    try:
        yield
    except (SQLAlchemyError, psycopg.Error) as error:
        translated = _translate(error)
        if translated is None:
            raise
        raise translated from error


def _translate(error: Exception) -> RuntimeError | None:
    cause = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(cause, psycopg.errors.QueryCanceled):  # SQLSTATE 57014
        return ReplicaTimeoutError(_cancelled(cause))
    if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return ReplicaUnavailableError(_unreachable(cause))
    return None


def _cancelled(error: psycopg.errors.QueryCanceled) -> str:
    if "statement timeout" not in str(error):
        return f"Kueri ke replika dibatalkan oleh server basis data ({_first_line(error)})."
    timeout = f"{int(STATEMENT_TIMEOUT_MS.get()):,}".replace(",", ".")
    return (
        f"Kueri ke replika dihentikan karena melebihi batas waktu ({timeout} ms). Persempit"
        " rentang tanggal atau wilayah lalu coba lagi, atau naikkan"
        f" {STATEMENT_TIMEOUT_MS.env} (batas waktu kueri, dalam milidetik)."
    )


def run_readonly(
    engine: Engine, sql: str | TextClause, params: Mapping[str, Any] | None = None
) -> list[Row]:
    """All rows of one statement on the replica, with errors translated (see the module)."""
    statement = text(sql) if isinstance(sql, str) else sql
    with translated_errors(), engine.connect() as conn:
        return list(conn.execute(statement, dict(params or {})).all())


class _TranslatingCursor(psycopg.Cursor):
    """Cursor of :func:`pg_connect`: ``execute`` and ``copy`` translate driver errors."""

    def execute(self, query, params=None, **kwargs):
        with translated_errors():
            return super().execute(query, params, **kwargs)

    @contextlib.contextmanager
    def copy(self, statement, params=None, **kwargs):
        with translated_errors(), super().copy(statement, params, **kwargs) as copy:
            yield copy


def pg_connect(url: str) -> psycopg.Connection:
    """A raw psycopg connection for bulk COPY ... TO STDOUT, read-only like the engine.

    Its cursors raise :class:`ReplicaTimeoutError` / :class:`ReplicaUnavailableError` for a
    timeout or a lost server, also while a COPY is streaming.
    """
    try:
        return psycopg.connect(
            writer.libpq_conninfo(url),
            options=_session_options(),
            connect_timeout=5,
            cursor_factory=_TranslatingCursor,
        )
    except psycopg.OperationalError as error:
        raise ReplicaUnavailableError(_unreachable(error)) from error


def _first_line(error: Exception) -> str:
    message = str(error).strip()
    return message.splitlines()[0] if message else type(error).__name__


def _unreachable(error: Exception) -> str:
    return f"Replika tidak dapat dijangkau: {_first_line(error)}"


_PG_STATUS = text(
    "SELECT CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_xact_replay_timestamp(),"
    " (pg_control_checkpoint()).checkpoint_time) END, now()"
)
"""On a standby the data is as of its last replayed commit; right after a restart with no
commit replayed yet, as of the restartpoint it started from (never "now")."""


def replica_status(engine: Engine) -> ReplicaStatus:
    """As-of time of the data: for a PostgreSQL standby its last replayed transaction."""
    if engine.dialect.name == "sqlite":
        return ReplicaStatus("sqlite", datetime.now().astimezone(), None)
    try:
        ((replayed, now),) = run_readonly(engine, _PG_STATUS)
    except SQLAlchemyError as error:
        raise ReplicaUnavailableError(_unreachable(error)) from error
    if replayed is None:  # a primary
        return ReplicaStatus("postgresql", now, None)
    return ReplicaStatus("postgresql", replayed, max(0.0, (now - replayed).total_seconds()))
