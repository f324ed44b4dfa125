"""The local analytics store: versioned DuckDB files, read-only for the dashboard.

A refresh (``queries.sync``) writes a complete new version beside the current one and then
points ``CURRENT`` at it with an atomic rename, so readers always see one complete version and
are never blocked by a refresh.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

CURRENT_FILE = "CURRENT"
VERSION_NAME = re.compile(r"store-[0-9T]+\.duckdb")


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
    """Raise :class:`StoreCorruptError` unless ``path`` opens, holds every block its header
    counts (a truncated file opens fine and fails later) and its ``meta`` and ``facts`` read."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            ((blocks, block_size),) = con.execute(
                "SELECT total_blocks, block_size FROM pragma_database_size()"
            ).fetchall()
            if path.stat().st_size < blocks * block_size:
                size = f"{path.stat().st_size:,} dari {blocks * block_size:,}".replace(",", ".")
                raise duckdb.IOException(f"berkas terpotong, {size} bita")
            con.execute("SELECT count(*) FROM meta").fetchall()
            con.execute("SELECT sum(registrants), sum(paid_idr) FROM facts").fetchall()
    except duckdb.Error as error:
        raise StoreCorruptError(corrupt_message(path, error)) from error


def corrupt_message(path: Path, error: Exception) -> str:
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
    return (
        f"Penyimpanan analitik {path.name} rusak dan tidak dapat dibaca ({first}); "
        "penyimpanan dibangun ulang dari replika."
    )


def publish_version(directory: Path, path: Path) -> None:
    """Point readers at ``path`` atomically, then remove versions nobody will open again."""
    staging = directory / (CURRENT_FILE + ".new")
    staging.write_text(path.name, encoding="utf-8")
    os.replace(staging, directory / CURRENT_FILE)
    for old in directory.glob("store-*.duckdb"):
        if old != path:
            old.unlink(missing_ok=True)  # open readers keep their file handle on POSIX


class Store:
    """One read-only store version. Thread-safe: each query uses its own cursor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise StoreCorruptError(corrupt_message(path, error)) from error
        self._lock = threading.Lock()

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
        """Source kind and label, replica as-of time, refresh time, data period."""
        rows = self.query("SELECT key, value FROM meta")
        return dict(zip(rows["key"], rows["value"], strict=True))

    def close(self) -> None:
        self._connection.close()
