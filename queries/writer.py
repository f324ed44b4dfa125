"""Bulk writers for the synthetic replica: SQLite files and PostgreSQL via COPY.

This is the only module that writes to a replica-shaped database, and it only ever writes the
*synthetic* one (the generator's target). The dashboard's replica engine is read-only.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from queries.contract import metadata

CHUNK_ROWS = 500_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise ValueError("URL SQLite harus menyebut berkas, misalnya sqlite:///replika.sqlite")
    return Path(database)


def normalize_url(url: str) -> str:
    """libpq's multi-host form ``postgresql://user@h1:p1,h2:p2/db`` as SQLAlchemy's
    ``postgresql://user@/db?host=h1:p1&host=h2:p2`` (SQLAlchemy cannot parse the former);
    every other URL is returned unchanged."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    userinfo, at, hosts = rest[:end].rpartition("@")
    if "," not in hosts:
        return url
    path, _, query = rest[end:].partition("?")
    params = "&".join(f"host={quote(host, safe='')}" for host in hosts.split(","))
    return f"{scheme}://{userinfo}{at}{path or '/'}?{params}{'&' + query if query else ''}"


def _host_and_port(entry: str) -> tuple[str, str]:
    host, colon, port = entry.rpartition(":")
    return (host, port) if colon and port.isdigit() else (entry, "")


def libpq_conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL URL (psycopg does not take the +driver).

    Hosts given as ``?host=h1:p1&host=h2:p2`` (or libpq's ``h1:p1,h2:p2``) become libpq's
    ``host=h1,h2 port=p1,p2``: libpq tries them in order (``target_session_attrs`` applies).
    """
    parsed = make_url(normalize_url(url)).set(drivername="postgresql")
    hosts = parsed.query.get("host")
    if hosts is None:
        return parsed.render_as_string(hide_password=False)
    entries = (hosts,) if isinstance(hosts, str) else hosts
    names, ports = zip(*map(_host_and_port, entries), strict=True)
    options = {
        key: value if isinstance(value, str) else value[-1]
        for key, value in parsed.query.items()
        if key != "host"
    }
    return make_conninfo(
        "",
        **{
            **options,
            "host": ",".join(names),
            "port": ",".join(ports) if any(ports) else parsed.port,
            "user": parsed.username,
            "password": parsed.password,
            "dbname": parsed.database,
        },
    )


def sqlalchemy_url(url: str) -> str:
    """Make ``postgresql://`` URLs use psycopg 3 (SQLAlchemy's default driver is psycopg2)."""
    parsed = make_url(normalize_url(url))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def ensure_postgres_database(url: str) -> None:
    """Create the target database if it does not exist (the generator's convenience)."""
    parsed = make_url(normalize_url(url))
    admin = libpq_conninfo(parsed.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


SELECT_ONLY_GRANTS = """
REVOKE ALL ON DATABASE "{database}" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE "{database}" TO "{role}";
GRANT USAGE ON SCHEMA public TO "{role}";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}";
ALTER ROLE "{role}" SET default_transaction_read_only = on;
"""
"""After ``CREATE ROLE … LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE``: the dashboard's role may
connect and SELECT, nothing else (``docs/DATA_CONTRACT.md`` gives the same SQL)."""


def ensure_select_only_role(url: str, role: str | None = None) -> str:
    """Create (or re-grant) a SELECT-only login role on the replica at ``url`` and return the
    same URL for that role: what the refresh job should use (tests and benchmark)."""
    parsed = make_url(normalize_url(url))
    name = role or f"{parsed.database}_reader"
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(
                f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT'
            )
        for statement in filter(str.strip, SELECT_ONLY_GRANTS.split(";")):
            conn.execute(statement.format(database=parsed.database, role=name))
    return parsed.set(username=name, password=None).render_as_string(hide_password=False)


def write_tables(
    url: str,
    tables: Iterable[tuple[str, pd.DataFrame]],
    progress: Callable[[float], None] | None = None,
) -> None:
    """Replace the contract's tables at ``url`` with ``tables`` (SQLite atomically)."""
    tables = list(tables)
    if is_sqlite(url):
        _write_sqlite(sqlite_path(url), tables, progress)
    else:
        _write_postgres(url, tables, progress, replace=True)


def append_tables(url: str, tables: Iterable[tuple[str, pd.DataFrame]]) -> None:
    """Append rows to existing contract tables (for incremental-refresh tests and bench)."""
    tables = list(tables)
    if is_sqlite(url):
        with sqlite3.connect(sqlite_path(url)) as conn:
            for name, frame in tables:
                _insert_sqlite(conn, name, frame)
    else:
        _write_postgres(url, tables, None, replace=False)


def _as_text_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS' text, the form SQLite and COPY both read."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime(TIME_FORMAT)
        elif pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype("int8")
    return out


def _insert_sqlite(conn: sqlite3.Connection, name: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    marks = ", ".join("?" * len(frame.columns))
    sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = _as_text_rows(frame.iloc[start : start + CHUNK_ROWS])
        conn.executemany(sql, chunk.itertuples(index=False, name=None))


def _write_sqlite(path: Path, tables, progress) -> None:
    """Build into a temporary file and rename it, so nobody reads a half-built replica."""
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(path.suffix + ".building")
    building.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{building}")
    metadata.create_all(engine)
    engine.dispose()
    with sqlite3.connect(building) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for done, (name, frame) in enumerate(tables, start=1):
            _insert_sqlite(conn, name, frame)
            if progress:
                progress(done / len(tables))
    os.replace(building, path)


def _copy_frame(cursor: psycopg.Cursor, name: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(frame), CHUNK_ROWS):
            buffer = io.StringIO()
            frame.iloc[start : start + CHUNK_ROWS].to_csv(
                buffer, header=False, index=False, date_format=TIME_FORMAT
            )
            copy.write(buffer.getvalue())


def _write_postgres(url: str, tables, progress, replace: bool) -> None:
    ensure_postgres_database(url)
    if replace:
        engine = create_engine(sqlalchemy_url(url))
        metadata.drop_all(engine)
        metadata.create_all(engine)
        engine.dispose()
    with psycopg.connect(libpq_conninfo(url)) as conn, conn.cursor() as cursor:
        for done, (name, frame) in enumerate(tables, start=1):
            _copy_frame(cursor, name, frame)
            if progress:
                progress(done / len(tables))
        conn.commit()
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
        conn.execute("ANALYZE")
