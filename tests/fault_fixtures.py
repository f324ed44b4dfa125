"""The fault suite's replicas: a private copy of a small replica per test, on SQLite and
PostgreSQL, with an admin connection to stage faults and the dashboard's own read path."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pytest
from conftest import PG_ADMIN, _create_database, _drop_database, reader_url

from queries import metrics
from queries import sync as sync_module
from queries.facts import TABLES
from queries.filters import Filters
from queries.store import Store, current_version, store_dir
from queries.sync import sync
from synthetic import generator

FAULT_SCALE = 0.001
WHOLE = Filters(date(2020, 3, 20), date(2035, 12, 31))
"""Every valid day: the figures must equal the replica's valid rows, whatever their dates."""


@dataclass
class FaultReplica:
    """A private replica copy: ``admin`` stages faults, ``url`` is the dashboard's view."""

    kind: str
    admin: str
    url: str
    store_dir: Path

    def execute(self, *statements: str) -> None:
        """Run statements as the replica's owner (the fault being staged), committed."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.admin.removeprefix("sqlite:///"))) as c:
                for statement in statements:
                    c.execute(statement)
                c.commit()
            return
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def scalar(self, sql: str) -> int:
        """One number counted directly on the replica (the oracle)."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.admin.removeprefix("sqlite:///"))) as c:
                return int(c.execute(sql).fetchall()[0][0])
        with psycopg.connect(self.admin) as conn:
            return int(conn.execute(sql).fetchall()[0][0])

    def sync(self, **options) -> sync_module.SyncReport:
        return sync(self.url, self.store_dir, **options)

    def totals(self) -> dict[str, int]:
        with contextlib.closing(Store.open_current(self.store_dir)) as store:
            row = metrics.totals(store, WHOLE).iloc[0]
        return {name: int(row[name]) for name in metrics.METRICS}

    def quarantine(self) -> dict[tuple[str, str], int]:
        with contextlib.closing(Store.open_current(self.store_dir)) as store:
            frame = store.query("SELECT table_name, reason, rows FROM quarantine")
        return {(t, r): int(n) for t, r, n in frame.itertuples(index=False)}


@pytest.fixture(scope="module")
def fault_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One small replica per kind, copied for each test."""
    base = tmp_path_factory.mktemp("fault-template")
    sqlite_url = f"sqlite:///{base / 'template.sqlite'}"
    generator.build(sqlite_url, FAULT_SCALE)
    name = f"prakerja_test_tpl_{uuid.uuid4().hex[:8]}"
    pg_url = _create_database(name)
    generator.build(pg_url, FAULT_SCALE)
    try:
        yield {"sqlite": sqlite_url, "postgresql": name}
    finally:
        _drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def faulty(request, fault_templates, tmp_path) -> Iterator[FaultReplica]:
    kind = request.param
    if kind == "sqlite":
        path = tmp_path / "replica.sqlite"
        shutil.copyfile(fault_templates["sqlite"].removeprefix("sqlite:///"), path)
        admin = f"sqlite:///{path}"
        yield FaultReplica(kind, admin, admin, store_dir(tmp_path / "data"))
        return
    name = f"prakerja_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{fault_templates["postgresql"]}"')
    admin = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield FaultReplica(kind, admin, reader_url(admin), store_dir(tmp_path / "data"))
    finally:
        _drop_database(name)


def _registrant(row_id: int | str, registered_at: str = "2020-05-05 10:00:00", **values) -> str:
    row = {
        "id": row_id,
        "regency_code": "'3216'",
        "registered_at": f"'{registered_at}'",
        "channel": "'online'",
        "gender": "'F'",
        "birth_year": 1990,
        "disability": "false",
        "employment_status": "'unemployed'",
        **values,
    }
    return (
        f"INSERT INTO registrants ({', '.join(row)}) VALUES ({', '.join(map(str, row.values()))})"
    )


def _tables(directory: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    with duckdb.connect(str(current_version(directory)), read_only=True) as con:
        for name in (*TABLES, "quarantine", "unknown_codes"):
            frame = con.execute(f"SELECT * FROM {name}").df()
            tables[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


def assert_equals_full_rebuild(replica: FaultReplica, tmp_path: Path) -> None:
    """The replica's store holds exactly what a full rebuild from it makes."""
    rebuilt = store_dir(tmp_path / "rebuilt")
    sync(replica.url, rebuilt, full=True)
    incremental, full = _tables(replica.store_dir), _tables(rebuilt)
    for name in full:
        pd.testing.assert_frame_equal(incremental[name], full[name], obj=name)
