"""A usable store before the first screen: built on first start, rebuilt when corrupt.

With nothing configured the first start builds the demo replica (SQLite, ``queries.demo``)
at the demo scale and the analytics store from it, reporting progress; later starts reuse
both. The demo build and every refresh (``queries.sync.refresh``) run under the store
directory's lock, so concurrent first visitors (or two ``queries.sync`` runs) wait for one
build instead of racing on half-written files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from queries import urls
from queries.demo import source
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError, replica_engine
from queries.store import Store, StoreCorruptError, check_readable, current_version
from queries.sync import (
    SCHEMA_VERSION,
    Progress,
    check_read_only,
    default_store_dir,
    exclusive,
    refresh_locked,
)


def check_configured_replica() -> None:
    """At start: refuse a configured replica whose role could write (unless accepted). An
    unreachable replica is left to the refresh, which reports it on every screen."""
    url, kind = source()
    if kind != "replica":
        return
    try:
        engine = replica_engine(urls.normalize_url(url))
        try:
            check_read_only(engine)
        finally:
            engine.dispose()
    except (ReplicaUnavailableError, ReplicaTimeoutError):
        return


def store_is_usable(path: Path | None) -> bool:
    """The store version exists, reads, and was built by this code's schema (an upgrade
    changes it). A corrupt version is not usable: the next refresh rebuilds it."""
    return path is not None and path.exists() and corruption(path) is None and _schema(path)


def corruption(path: Path) -> str | None:
    """One line in Bahasa Indonesia when the store version at ``path`` cannot be read."""
    try:
        check_readable(path)
    except StoreCorruptError as error:
        return str(error)
    return None


def _schema(path: Path) -> bool:
    store = Store(path)
    try:
        return store.meta().get("schema_version") == SCHEMA_VERSION
    finally:
        store.close()


def ensure_store(
    progress: Progress | None = None, notify: Callable[[str], object] | None = None
) -> Path:
    """The store directory, after a (full) refresh if there is no usable store yet; a corrupt
    current version is reported through ``notify`` and rebuilt from the replica.

    Checked again under the lock: a visitor who waited for another's first build uses it."""
    directory = default_store_dir()
    if store_is_usable(current_version(directory)):
        return directory
    with exclusive(directory):
        current = current_version(directory)
        if not store_is_usable(current):
            problem = current and corruption(current)
            if problem and notify:
                notify(problem)
            refresh_locked(None, directory, full=bool(problem), progress=progress)
    return directory
