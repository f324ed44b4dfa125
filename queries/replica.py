"""Read-only access to the replica, enforced in the connection (never by convention).

SQLite files are opened with ``mode=ro`` and ``query_only``, and may not ``ATTACH`` another
file; PostgreSQL sessions start with ``default_transaction_read_only=on`` and a
``statement_timeout``. A session default can be overridden (``SET TRANSACTION READ WRITE``),
so :func:`write_privileges` also checks that the role itself cannot write: the refresh
refuses a role that can, unless the operator accepts the risk
(``tests/test_replica_readonly.py``, ``tests/test_standby.py`` on a real hot standby).

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
from pathlib import Path
from typing import Any, Self

import psycopg
from psycopg.abc import Params, Query
from sqlalchemy import Engine, Row, create_engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql.elements import TextClause

from queries import urls
from queries.settings import STATEMENT_TIMEOUT_MS, statement_timeout_ms


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
    timeout = statement_timeout_ms()
    return f"-c default_transaction_read_only=on -c statement_timeout={timeout}"


def _deny_attach(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else 0


def sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A SQLite connection that can write nothing: not the file (``mode=ro``), not a temporary
    table (``query_only``), not another file (``ATTACH`` opens it writable, so it is denied)."""
    if not path.exists():
        raise ReplicaUnavailableError(f"Berkas replika tidak ditemukan: {path}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(_deny_attach)
    return connection


def replica_engine(url: str) -> Engine:
    """A SQLAlchemy engine on the replica that cannot write."""
    if urls.is_sqlite(url):
        path = urls.sqlite_path(url)
        sqlite_readonly(path).close()  # a missing file fails here, with its message
        return create_engine("sqlite://", creator=lambda: sqlite_readonly(path))
    return create_engine(
        urls.sqlalchemy_url(url),
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
    timeout = f"{statement_timeout_ms():,}".replace(",", ".")
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

    def execute(self, query: Query, params: Params | None = None, **kwargs: Any) -> Self:
        with translated_errors():
            # psycopg's overloads split a template from params: both pass through unchanged
            return super().execute(query, params, **kwargs)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def copy(
        self, statement: Query, params: Params | None = None, **kwargs: Any
    ) -> Iterator[psycopg.Copy]:
        with translated_errors(), super().copy(statement, params, **kwargs) as copy:
            yield copy


def pg_connect(url: str) -> psycopg.Connection:
    """A raw psycopg connection for bulk COPY ... TO STDOUT, read-only like the engine.

    Its cursors raise :class:`ReplicaTimeoutError` / :class:`ReplicaUnavailableError` for a
    timeout or a lost server, also while a COPY is streaming.
    """
    try:
        return psycopg.connect(
            urls.libpq_conninfo(url),
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


_PG_WRITE_PRIVILEGES = text(
    """
SELECT pg_is_in_recovery(),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       has_database_privilege(current_database(), 'CREATE'),
       (SELECT string_agg(nspname, ', ' ORDER BY nspname) FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
          AND has_schema_privilege(oid, 'CREATE')),
       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%'
          AND n.nspname <> 'information_schema'
          AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
"""
)


def write_privileges(engine: Engine) -> list[str]:
    """What the replica connection could write, in words; empty when nothing.

    A hot standby in recovery refuses every write whatever the role, so it passes; once it
    is promoted the role's own privileges count (checked on every refresh)."""
    if engine.dialect.name == "sqlite":
        return _sqlite_writes(engine)
    ((recovering, superuser, create_db, schemas, tables),) = run_readonly(
        engine, _PG_WRITE_PRIVILEGES
    )
    if recovering:
        return []
    found = []
    if superuser:
        found.append("superuser")
    if create_db:
        found.append("CREATE pada basis data")
    if schemas:
        found.append(f"CREATE pada skema {schemas}")
    if tables:
        found.append(f"INSERT/UPDATE/DELETE pada tabel {tables[:200]}")
    return found


def _sqlite_writes(engine: Engine) -> list[str]:
    """Try the two ways a read-only SQLite connection could still write; both must fail."""
    probes = {
        "ATTACH berkas lain": "ATTACH DATABASE ':memory:' AS write_probe",
        "tabel sementara": "CREATE TEMP TABLE write_probe (x INTEGER)",
    }
    found = []
    with engine.connect() as conn:
        for label, statement in probes.items():
            try:
                conn.exec_driver_sql(statement)
                found.append(label)
            except DBAPIError:
                pass
        conn.rollback()
    return found
