"""Where the data comes from: the configured replica, or the synthetic demo built on demand.

With nothing configured the first start builds the demo replica (SQLite) at the demo scale and
the analytics store from it, reporting progress; later starts reuse both.
"""

from __future__ import annotations

from pathlib import Path

from queries import demo, writer
from queries.settings import data_dir, demo_replica_url, demo_scale, replica_url
from queries.store import Store, current_version, store_dir
from queries.sync import SCHEMA_VERSION, Progress, SyncReport, sync


def source() -> tuple[str, str]:
    """(url, kind): the configured replica (kind ``replica``) or the demo (kind ``demo``)."""
    configured = replica_url()
    return (configured, "replica") if configured else (demo_replica_url(), "demo")


def ensure_demo_replica(progress: Progress | None = None) -> str:
    """Build the synthetic replica once; its file name carries the scale."""
    url = demo_replica_url()
    if not writer.sqlite_path(url).exists():
        demo.build(url, demo_scale(), progress=_scaled(progress, 0.0, 0.6))
    return url


def refresh(
    explicit_url: str | None = None, *, full: bool = False, progress: Progress | None = None
) -> SyncReport:
    """Refresh the store from the given, configured or demo replica."""
    url, kind = (explicit_url, "replica") if explicit_url else source()
    offset = 0.0
    if kind == "demo":
        ensure_demo_replica(progress)
        offset = 0.6
    return sync(
        url,
        default_store_dir(),
        full=full,
        progress=_scaled(progress, offset, 1.0),
    )


def default_store_dir() -> Path:
    return store_dir(data_dir())


def store_is_usable(path: Path | None) -> bool:
    """The store version exists and was built by this code's schema (an upgrade changes it)."""
    if path is None or not path.exists():
        return False
    store = Store(path)
    try:
        return store.meta().get("schema_version") == SCHEMA_VERSION
    finally:
        store.close()


def ensure_store(progress: Progress | None = None) -> Path:
    """The store directory, after a (full) refresh if there is no usable store yet."""
    directory = default_store_dir()
    if not store_is_usable(current_version(directory)):
        refresh(progress=progress)
    return directory


def _scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """Map a step's 0–1 progress into [start, end] of the overall bar."""
    if progress is None:
        return None
    return lambda step, fraction: progress(step, start + (end - start) * fraction)


def terminal(description: str = "Menyiapkan data") -> Progress:
    """A tqdm progress bar for the command line."""
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", desc=description)

    def report(step: str, fraction: float) -> None:
        bar.set_postfix_str(step)
        bar.update(max(0, round(fraction * 100) - bar.n))
        if fraction >= 1:
            bar.close()

    return report
