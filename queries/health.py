"""Refresh health shared by every process that serves or refreshes one store directory.

Whatever stops a refresh (unreachable replica, schema drift, timeout, a writable role, a full
disk, a corrupt store) is recorded next to the store versions in ``refresh-status.json``: the
one-line reason in Bahasa Indonesia, since when refreshes fail, and how many failed in a row.
Every screen reads it for its banner; the app's refresher and a long-running refresh service
read it to back off exponentially (30 s, 1 min, 2 min, … up to the refresh interval).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
from sqlalchemy.exc import SQLAlchemyError

STATUS_FILE = "refresh-status.json"
FIRST_RETRY = timedelta(seconds=30)


class RefreshFailedError(RuntimeError):
    """A refresh stopped for a reason users can read (the message, in Bahasa Indonesia)."""


class SchemaDriftError(RefreshFailedError):
    """The replica's tables or columns no longer match the data contract."""


class WritableReplicaError(RefreshFailedError):
    """The replica role could write and the operator did not accept that risk."""


@dataclass(frozen=True)
class RefreshHealth:
    """The last refresh outcome of a store directory."""

    failures: int = 0
    reason: str = ""
    failing_since: str = ""
    last_attempt: str = ""

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def next_attempt(self, interval: timedelta) -> datetime:
        """After a failure, when to try again: 30 s after the first, doubling with each one
        in a row, at most ``interval``."""
        last = datetime.fromisoformat(self.last_attempt) if self.last_attempt else _now()
        return last + min(interval, FIRST_RETRY * 2 ** min(self.failures - 1, 20))


def _now() -> datetime:
    return datetime.now().astimezone()


def read_health(directory: Path) -> RefreshHealth:
    """The recorded health; a missing or unreadable file means healthy."""
    try:
        raw = json.loads((directory / STATUS_FILE).read_text(encoding="utf-8"))
        return RefreshHealth(**{key: raw[key] for key in RefreshHealth.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return RefreshHealth()


def _write(directory: Path, health: RefreshHealth) -> None:
    staging = directory / (STATUS_FILE + ".new")
    staging.write_text(json.dumps(asdict(health)), encoding="utf-8")
    os.replace(staging, directory / STATUS_FILE)


def record_success(directory: Path) -> None:
    _write(directory, RefreshHealth(last_attempt=_now().isoformat()))


def record_failure(directory: Path, reason: str) -> RefreshHealth:
    """Count one more failure in a row, keeping when the failures started."""
    previous = read_health(directory)
    now = _now().isoformat()
    health = RefreshHealth(
        failures=previous.failures + 1,
        reason=reason,
        failing_since=previous.failing_since or now,
        last_attempt=now,
    )
    with contextlib.suppress(OSError):  # a full disk must not hide the original reason
        _write(directory, health)
    return health


def describe(error: BaseException) -> str:
    """One line in Bahasa Indonesia for whatever stopped a refresh or a command."""
    from queries.filters import FilterError
    from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError
    from queries.settings import ConfigError
    from queries.store import StoreCorruptError, StoreMissingError

    known = (
        RefreshFailedError,
        ReplicaUnavailableError,
        ReplicaTimeoutError,
        ConfigError,
        StoreCorruptError,
        StoreMissingError,
        FilterError,
    )
    if isinstance(error, known):
        return first_line(error)
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return f"Disk penuh: penyegaran dihentikan ({error.filename or 'direktori data'})."
    if isinstance(error, OSError):
        return f"Berkas tidak dapat ditulis atau dibaca: {first_line(error)}"
    if isinstance(error, SQLAlchemyError | psycopg.Error | sqlite3.Error | duckdb.Error):
        return f"Penyegaran gagal karena galat basis data: {first_line(error)}"
    return f"Penyegaran gagal ({type(error).__name__}): {first_line(error)}"


def first_line(error: BaseException) -> str:
    """The first line of an error's message, at most 300 characters."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]
