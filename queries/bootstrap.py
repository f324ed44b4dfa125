"""Where the data comes from: the configured replica, or the synthetic demo built on demand.

With nothing configured the first start builds the demo replica (SQLite) at the demo scale and
the analytics store from it, reporting progress; later starts reuse both. The demo build and
every refresh run under the store directory's lock, so concurrent first visitors (or two
``queries.sync`` runs) wait for one build instead of racing on half-written files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from queries import urls
from queries.health import describe, record_failure
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError, replica_engine
from queries.settings import data_dir, demo_replica_url, demo_scale, replica_url
from queries.store import Store, StoreCorruptError, check_readable, current_version, store_dir
from queries.sync import (
    SCHEMA_VERSION,
    Progress,
    SyncReport,
    check_read_only,
    exclusive,
    sync_locked,
)


def source() -> tuple[str, str]:
    """(url, kind): the configured replica (kind ``replica``) or the demo (kind ``demo``)."""
    configured = replica_url()
    return (configured, "replica") if configured else (demo_replica_url(), "demo")


def ensure_demo_replica(progress: Progress | None = None) -> str:
    """Build the synthetic replica once; its file name carries the scale.

    The one place the query layer reaches the generator (``synthetic``), imported here only
    when the embedded demo must be built, so a real deployment never loads it."""
    url = demo_replica_url()
    if not urls.sqlite_path(url).exists():
        from synthetic.generator import build

        build(url, demo_scale(), progress=_scaled(progress, 0.0, 0.6))
    return url


def refresh(
    explicit_url: str | None = None, *, full: bool = False, progress: Progress | None = None
) -> SyncReport:
    """Refresh the store from the given, configured or demo replica (under the lock)."""
    directory = default_store_dir()
    with exclusive(directory):
        return _refresh_locked(explicit_url, directory, full=full, progress=progress)


def _refresh_locked(
    explicit_url: str | None, directory: Path, *, full: bool, progress: Progress | None
) -> SyncReport:
    try:  # what fails before the sync (a bad setting, the demo build) is recorded here
        url, kind = (explicit_url, "replica") if explicit_url else source()
        if kind == "demo":
            ensure_demo_replica(progress)
    except Exception as error:
        record_failure(directory, describe(error))
        raise
    offset = 0.6 if kind == "demo" else 0.0
    return sync_locked(url, directory, full=full, progress=_scaled(progress, offset, 1.0))


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


def default_store_dir() -> Path:
    return store_dir(data_dir())


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
            _refresh_locked(None, directory, full=bool(problem), progress=progress)
    return directory


def _scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """Map a step's 0–1 progress into [start, end] of the overall bar."""
    if progress is None:
        return None
    return lambda step, fraction: progress(step, start + (end - start) * fraction)
