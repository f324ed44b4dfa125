"""Bulk writers for the synthetic replica: SQLite files, and PostgreSQL by COPY.

This is the only module that writes to a replica-shaped database, and it only ever writes the
*synthetic* one (the generator's target). The dashboard's replica engine is read-only.

Tables arrive as iterators of chunks (DataFrames in the contract's column order), so nothing
holds a whole table. PostgreSQL gets every table in one transaction: the tables are created
bare, filled with ``COPY … (FREEZE)``, then given their primary keys and indexes (one sorted
build each, far cheaper than maintaining them row by row) and their foreign keys ``NOT
VALID`` (enforced for every later write; the rows already there reference existing ids by
construction, and checking 60 M references at scale 6 would take longer than the load).
Readers see the old replica or the whole new one, never a half-written one.
"""

from __future__ import annotations

import io
import itertools
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Table, create_engine
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateColumn, CreateIndex

from queries.contract import metadata
from queries.urls import is_sqlite, libpq_conninfo, normalize_url, sqlite_path

Chunks = Iterable[pd.DataFrame]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
INDEX_MEMORY = "512MB"
"""``maintenance_work_mem`` for the index builds after the load (the server's, not ours)."""

_DIALECT = postgresql.dialect()


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


def write_tables(url: str, tables: Iterable[tuple[str, Chunks]]) -> None:
    """Replace the contract's tables at ``url`` with ``tables`` (atomically)."""
    if is_sqlite(url):
        _write_sqlite(sqlite_path(url), tables)
    else:
        _write_postgres(url, tables)


def append_tables(url: str, tables: Iterable[tuple[str, pd.DataFrame]]) -> None:
    """Append rows to existing contract tables (for incremental-refresh tests and bench)."""
    if is_sqlite(url):
        with sqlite3.connect(sqlite_path(url)) as conn:
            for name, frame in tables:
                _insert_sqlite(conn, name, frame)
        return
    with psycopg.connect(libpq_conninfo(url)) as pg, pg.cursor() as cursor:
        for name, frame in tables:
            _copy_chunks(cursor, name, [frame], freeze=False)


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
    rows = _as_text_rows(frame).itertuples(index=False, name=None)
    conn.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)


def _write_sqlite(path: Path, tables: Iterable[tuple[str, Chunks]]) -> None:
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
        for name, chunks in tables:
            for frame in chunks:
                _insert_sqlite(conn, name, frame)
    os.replace(building, path)


def _csv(frame: pd.DataFrame) -> memoryview:
    """The frame as CSV for COPY, written by Arrow (C++, about ten times pandas' speed)."""
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False)
    pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, options)
    return buffer.getbuffer()


def _copy_chunks(cursor: psycopg.Cursor, name: str, chunks: Chunks, *, freeze: bool) -> None:
    frames = iter(chunks)
    first = next(frames, None)
    if first is None:
        return
    options = "FORMAT csv, FREEZE" if freeze else "FORMAT csv"
    statement = f"COPY {name} ({', '.join(first.columns)}) FROM STDIN ({options})"
    with cursor.copy(statement) as copy:
        for frame in itertools.chain([first], frames):
            copy.write(_csv(frame))


def _bare_table(table: Table) -> str:
    """CREATE TABLE with the columns as ``create_all`` writes them (types, NOT NULL, the
    ``id`` sequence), without the keys: they come after the load."""
    columns = ", ".join(
        str(CreateColumn(column).compile(dialect=_DIALECT)) for column in table.columns
    )
    return f"CREATE TABLE {table.name} ({columns})"


def _keys(table: Table) -> list[str]:
    """Primary key and indexes of ``table`` as the contract declares them."""
    statements = [f"ALTER TABLE {table.name} ADD PRIMARY KEY (id)"]
    statements += [str(CreateIndex(index).compile(dialect=_DIALECT)) for index in table.indexes]
    return statements


def _foreign_keys(table: Table) -> list[str]:
    return [
        f"ALTER TABLE {table.name} ADD FOREIGN KEY ({key.parent.name}) REFERENCES"
        f" {key.column.table.name} ({key.column.name}) NOT VALID"
        for key in table.foreign_keys
    ]


def _write_postgres(url: str, tables: Iterable[tuple[str, Chunks]]) -> None:
    ensure_postgres_database(url)
    ordered = metadata.sorted_tables
    with psycopg.connect(libpq_conninfo(url)) as conn:
        conn.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
        for table in reversed(ordered):
            conn.execute(f"DROP TABLE IF EXISTS {table.name} CASCADE")
        for table in ordered:
            conn.execute(_bare_table(table))
        with conn.cursor() as cursor:
            for name, chunks in tables:
                _copy_chunks(cursor, name, chunks, freeze=True)
        for table in ordered:
            for statement in _keys(table):
                conn.execute(statement)
        for table in ordered:
            for statement in _foreign_keys(table):
                conn.execute(statement)
        conn.commit()
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
        conn.execute("ANALYZE")
