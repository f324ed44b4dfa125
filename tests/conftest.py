"""Shared fixtures: real small replicas in SQLite and PostgreSQL, and stores synced from them.

Each test run creates its own PostgreSQL database on 127.0.0.1:5432 and drops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from queries import urls
from queries.store import Store, store_dir
from queries.sync import sync
from synthetic import generator, writer

pytest_plugins = [
    "geo_fixtures",
    "standby_fixtures",
    "browser_fixtures",
    "fault_fixtures",
    "export_fixtures",
]

TEST_SCALE = 0.005
PG_ADMIN = os.environ.get("PRAKERJA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Replica:
    """A synthetic replica and a store synced from it. ``url`` is what the dashboard uses (on
    PostgreSQL a SELECT-only role); ``admin_url`` may write (to stage faults)."""

    kind: str
    url: str
    store_dir: Path
    admin_url: str = ""

    def store(self) -> Store:
        return Store.open_current(self.store_dir)


def _create_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{name}_reader"')  # writer.ensure_select_only_role


def reader_url(url: str) -> str:
    """The dashboard's view of a test replica: a SELECT-only role (SQLite: unchanged)."""
    return url if urls.is_sqlite(url) else writer.ensure_select_only_role(url)


@contextlib.contextmanager
def _temporary_database() -> Iterator[str]:
    name = f"prakerja_test_{uuid.uuid4().hex[:10]}"
    url = _create_database(name)
    try:
        yield url
    finally:
        _drop_database(name)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test run's shared replica."""
    with _temporary_database() as url:
        yield url


@pytest.fixture
def own_pg_database() -> Iterator[str]:
    """An empty PostgreSQL database for one test that rewrites its replica."""
    with _temporary_database() as url:
        yield url


def _build_replica(kind: str, url: str, base: Path) -> Replica:
    generator.build(url, TEST_SCALE)
    directory = store_dir(base / f"data-{kind}")
    reader = reader_url(url)
    sync(reader, directory)
    return Replica(kind, reader, directory, admin_url=url)


@pytest.fixture(scope="session")
def sqlite_replica(tmp_path_factory: pytest.TempPathFactory) -> Replica:
    base = tmp_path_factory.mktemp("sqlite-replica")
    return _build_replica("sqlite", f"sqlite:///{base / 'replica.sqlite'}", base)


@pytest.fixture(scope="session")
def pg_replica(tmp_path_factory: pytest.TempPathFactory, pg_database: str) -> Replica:
    base = tmp_path_factory.mktemp("pg-replica")
    return _build_replica("postgresql", pg_database, base)


@pytest.fixture(params=["sqlite", "postgresql"])
def replica(request: pytest.FixtureRequest) -> Replica:
    """Each test using this runs against the embedded default and against PostgreSQL."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_replica")


@pytest.fixture(scope="module")
def store(sqlite_replica: Replica) -> Iterator[Store]:
    """The session's small SQLite store, opened once per test module."""
    opened = sqlite_replica.store()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def app_data_dir(sqlite_replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory the app can start from without building anything (for AppTest)."""
    return sqlite_replica.store_dir.parent


@pytest.fixture
def app_env(monkeypatch, app_data_dir, boundary_cache) -> None:
    """The app (AppTest) reads the session's small replica and never refreshes it."""
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0")
