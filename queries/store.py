"""The local analytics store: versioned DuckDB files, read-only for the dashboard.

A refresh (``queries.sync``) writes a complete new version beside the current one and then
points ``CURRENT`` at it with an atomic rename, so readers always see one complete version and
are never blocked by a refresh.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

CURRENT_FILE = "CURRENT"


class StoreMissingError(RuntimeError):
    """No complete store version exists yet (the first refresh has not finished)."""


def store_dir(data_dir: Path) -> Path:
    path = data_dir / "store"
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_version(directory: Path) -> Path | None:
    """The complete store file readers should use, or None before the first refresh."""
    pointer = directory / CURRENT_FILE
    if not pointer.exists():
        return None
    path = directory / pointer.read_text(encoding="utf-8").strip()
    return path if path.exists() else None


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
        self._connection = duckdb.connect(str(path), read_only=True)
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
        finally:
            cursor.close()

    def meta(self) -> dict[str, Any]:
        """Source kind and label, replica as-of time, refresh time, data period."""
        rows = self.query("SELECT key, value FROM meta")
        return dict(zip(rows["key"], rows["value"], strict=True))

    def close(self) -> None:
        self._connection.close()
