"""The local analytics store: versioned DuckDB files, read-only for the dashboard.

A refresh (``queries.sync``) writes a complete new version beside the current one and then
points ``CURRENT`` at it with an atomic rename, so readers always see one complete version and
are never blocked by a refresh.

Old versions are removed only when no reader can still use them. Each open :class:`Store`
holds a *lease*: a file ``leases/<version>@<reader>`` whose modification time the reader
renews while it uses the version. A superseded version is deleted once no lease on it is
younger than the grace period. This works across processes and across machines sharing the
directory (NFS, a Kubernetes ReadWriteMany volume), where "open files survive unlink" does
not hold: another host's reader would get ``ESTALE`` if the file vanished under it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from queries.facts import TABLES

CURRENT_FILE = "CURRENT"
VERSION_NAME = re.compile(r"store-[0-9T]+\.duckdb")
LEASE_DIR = "leases"
LEASE_GRACE_SECONDS = 600.0
"""A lease older than this is dead (its reader crashed or moved on). Readers renew theirs at
least every ``LEASE_RENEW_SECONDS``, well inside it, whatever their clock skew."""
LEASE_RENEW_SECONDS = 60.0


class StoreMissingError(RuntimeError):
    """No complete store version exists yet (the first refresh has not finished)."""


class StoreCorruptError(RuntimeError):
    """The current store version cannot be read; the next refresh rebuilds it from the
    replica. The message is shown to users in Bahasa Indonesia."""


def store_dir(data_dir: Path) -> Path:
    path = data_dir / "store"
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_version(directory: Path) -> Path | None:
    """The complete store file readers should use, or None before the first refresh."""
    pointer = directory / CURRENT_FILE
    if not pointer.exists():
        return None
    name = pointer.read_bytes()[:200].decode("ascii", errors="replace").strip()
    if not VERSION_NAME.fullmatch(name):  # garbage in the pointer: as if there were no store
        return None
    path = directory / name
    return path if path.exists() else None


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete what killed refreshes left behind (half-built versions, their WAL, temporary
    folders, a staged pointer); call only while holding the refresh lock."""
    removed = [
        *directory.glob("store-*.duckdb.building*"),
        *directory.glob(CURRENT_FILE + ".new"),
        *(path for path in directory.glob("tmp*") if path.is_dir()),
    ]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def check_readable(path: Path) -> None:
    """Raise :class:`StoreCorruptError` unless ``path`` opens, is long enough for the blocks
    in use (a truncated file opens fine and fails later) and its ``meta`` and ``facts`` read.

    Blocks in use, not all the header counts: DuckDB cuts free blocks off the end of a file it
    updated but may still count them, so a sound updated version can be shorter than that."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            ((blocks, block_size),) = con.execute(
                "SELECT used_blocks, block_size FROM pragma_database_size()"
            ).fetchall()
            if path.stat().st_size < blocks * block_size:
                size = f"{path.stat().st_size:,} dari {blocks * block_size:,}".replace(",", ".")
                raise duckdb.IOException(f"berkas terpotong, {size} bita")
            con.execute("SELECT count(*) FROM meta").fetchall()
            for table in TABLES:
                con.execute(f"SELECT sum(registrants), sum(paid_idr) FROM {table}").fetchall()
    except duckdb.Error as error:
        raise StoreCorruptError(corrupt_message(path, error)) from error


def corrupt_message(path: Path, error: Exception) -> str:
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
    return (
        f"Penyimpanan analitik {path.name} rusak dan tidak dapat dibaca ({first}); "
        "penyimpanan dibangun ulang dari replika."
    )


def publish_version(directory: Path, path: Path) -> None:
    """Point readers at ``path`` atomically, then remove versions nobody can still read."""
    staging = directory / (CURRENT_FILE + ".new")
    staging.write_text(path.name, encoding="utf-8")
    os.replace(staging, directory / CURRENT_FILE)
    prune_versions(directory)


def prune_versions(directory: Path, grace_seconds: float = LEASE_GRACE_SECONDS) -> list[str]:
    """Delete superseded versions without a live lease, and dead leases; returns the names
    of the deleted versions. Safe to call from any process at any time."""
    current = current_version(directory)
    live = _live_leases(directory, grace_seconds)
    removed = []
    for old in sorted(directory.glob("store-*.duckdb")):
        if old != current and old.name not in live:
            old.unlink(missing_ok=True)
            removed.append(old.name)
    return removed


def _live_leases(directory: Path, grace_seconds: float) -> set[str]:
    """Versions with a lease renewed within the grace period; dead lease files are removed."""
    live = set()
    cutoff = time.time() - grace_seconds
    for lease in (directory / LEASE_DIR).glob("*@*"):
        try:
            fresh = lease.stat().st_mtime >= cutoff
        except FileNotFoundError:  # released meanwhile
            continue
        if fresh:
            live.add(lease.name.split("@", 1)[0])
        else:
            lease.unlink(missing_ok=True)
    return live


QUERY_THREADS = 1
"""DuckDB threads per query, for every connection to a version in this process. The screens'
queries read a few thousand pre-aggregated rows (milliseconds each) and a worker is sized as
one core: a second thread per query cost ~10 % more CPU (thread hand-offs) and competed with
the other workers (docs/SCALING.md)."""


class Store:
    """One read-only store version. Thread-safe: each query uses its own cursor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lease = path.parent / LEASE_DIR / f"{path.name}@{_reader_id()}"
        self.renew_lease()
        try:
            self._connection = duckdb.connect(str(path), read_only=True)
            # SET, not connect(config=…): DuckDB refuses another connection to the same file
            # with a different config, and store checks open their own.
            self._connection.execute(f"SET threads = {QUERY_THREADS}")
        except duckdb.Error as error:
            self._lease.unlink(missing_ok=True)
            raise StoreCorruptError(corrupt_message(path, error)) from error
        self._lock = threading.Lock()
        self._renewed = time.monotonic()
        self._meta: dict[str, Any] | None = None

    @classmethod
    def open_current(cls, directory: Path) -> Store:
        path = current_version(directory)
        if path is None:
            raise StoreMissingError("Penyimpanan analitik belum dibangun.")
        return cls(path)

    @property
    def version(self) -> str:
        return self.path.name

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one statement with bound parameters and return a DataFrame."""
        with self._lock:
            cursor = self._connection.cursor()
        try:
            return cursor.execute(sql, params or {}).df()
        except (duckdb.IOException, duckdb.InternalException) as error:
            raise StoreCorruptError(corrupt_message(self.path, error)) from error
        finally:
            cursor.close()

    def meta(self) -> dict[str, Any]:
        """Source kind and label, replica as-of time, refresh time, data period.

        Read once: a version is never written after it is published, and every per-region
        query asked for it again (its population scale)."""
        if self._meta is None:
            rows = self.query("SELECT key, value FROM meta")
            self._meta = dict(zip(rows["key"], rows["value"], strict=True))
        return dict(self._meta)

    def renew_lease(self, every_seconds: float = 0.0) -> None:
        """Tell other processes this version is in use (at most once per ``every_seconds``)."""
        if every_seconds and time.monotonic() - self._renewed < every_seconds:
            return
        try:
            self._lease.parent.mkdir(exist_ok=True)
            self._lease.touch()
        except OSError:  # a read-only mount: the reader still works, without protection
            pass
        self._renewed = time.monotonic()

    def close(self) -> None:
        self._connection.close()
        self._lease.unlink(missing_ok=True)


def _reader_id() -> str:
    """Unique per open Store, readable by an operator: host, process, random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class CurrentStore:
    """The current version for a long-running reader (a dashboard worker).

    ``get()`` follows ``CURRENT`` to each new version without a restart, renews the lease of
    the version in use and closes versions superseded more than ``linger_seconds`` ago (a
    script run that started on the old version finishes on it first)."""

    def __init__(self, directory: Path, linger_seconds: float = 120.0) -> None:
        self.directory = directory
        self.linger_seconds = linger_seconds
        self._open: dict[str, Store] = {}
        self._superseded: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, version: str) -> Store:
        """The open Store of ``version`` (normally the current one)."""
        with self._lock:
            store = self._open.get(version)
            if store is None:
                store = self._open[version] = Store(self.directory / version)
                self._retire_others(version)
            store.renew_lease(LEASE_RENEW_SECONDS)
            self._close_lingering()
            return store

    def _retire_others(self, version: str) -> None:
        now = time.monotonic()
        for name in self._open:
            if name != version:
                self._superseded.setdefault(name, now)

    def _close_lingering(self) -> None:
        cutoff = time.monotonic() - self.linger_seconds
        for name, since in list(self._superseded.items()):
            if since < cutoff:
                self._open.pop(name).close()
                del self._superseded[name]
