"""The refresh as its own long-running service: ``python -m queries.refresh_service --every 15m``.

When several dashboard workers serve one store directory, exactly one process must refresh
it (the workers run with ``PRAKERJA_REFRESH_MINUTES=0``). This service refreshes on a fixed
interval, publishes each result as a new immutable store version (``queries.store``), prunes
versions no reader holds a lease on any more, and backs off exponentially while the replica
fails. It writes ``refresh-status.json`` beside the store so every worker can show the same
"replica unreachable since …" banner. SIGTERM/SIGINT stop it between two refreshes; a refresh
cut short by a kill leaves only a ``.building`` file, never a half-published version.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from queries import bootstrap
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError
from queries.settings import ConfigError
from queries.store import prune_versions

STATUS_FILE = "refresh-status.json"
FIRST_BACKOFF_SECONDS = 15.0
REFRESH_ERRORS = (ReplicaUnavailableError, ReplicaTimeoutError, ConfigError, OSError)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h`` or a plain number of seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"durasi tidak valid: {text!r} (contoh: 30s, 15m, 1h)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def next_delay(every: float, failures: int) -> float:
    """After ``failures`` failures in a row: 15 s, 30 s, 60 s … never more than ``every``."""
    if failures == 0:
        return every
    return min(every, FIRST_BACKOFF_SECONDS * 2 ** (failures - 1))


@dataclass
class Status:
    """What workers read: the last success, and the last error with since when it fails."""

    last_success: str | None = None
    last_error: str | None = None
    failing_since: str | None = None
    version: str | None = None

    def write(self, directory: Path) -> None:
        staging = directory / (STATUS_FILE + ".new")
        staging.write_text(json.dumps(self.__dict__), encoding="utf-8")
        staging.replace(directory / STATUS_FILE)


def read_status(directory: Path) -> Status | None:
    """The status the service last wrote, or None when no service runs for this directory."""
    try:
        return Status(**json.loads((directory / STATUS_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def refresh_once(status: Status) -> bool:
    """One refresh; updates ``status`` and returns whether it succeeded."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        report = bootstrap.refresh()
    except REFRESH_ERRORS as error:
        status.last_error = str(error)
        status.failing_since = status.failing_since or now
        print(f"{now} refresh failed: {error}", file=sys.stderr, flush=True)
        return False
    status.last_success, status.last_error, status.failing_since = now, None, None
    status.version = report.store_path.name if report.store_path else None
    print(f"{now} published {status.version} ({report.mode}, {report.seconds:.1f} s)", flush=True)
    return True


def run(every: float, stop: threading.Event, once: bool = False) -> int:
    """Refresh until ``stop`` is set (or once); returns the number of failures in a row."""
    directory = bootstrap.default_store_dir()
    status = read_status(directory) or Status()
    failures = 0
    while not stop.is_set():
        failures = 0 if refresh_once(status) else failures + 1
        status.write(directory)
        prune_versions(directory)
        if once:
            break
        stop.wait(next_delay(every, failures))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queries.refresh_service", description=__doc__)
    parser.add_argument(
        "--every", type=parse_duration, default="15m", help="interval, e.g. 15m (default)"
    )
    parser.add_argument("--once", action="store_true", help="refresh once and exit")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    started = time.monotonic()
    failures = run(args.every, stop, once=args.once)
    print(f"refresh service stopped after {time.monotonic() - started:.0f} s", flush=True)
    return 1 if args.once and failures else 0


if __name__ == "__main__":
    sys.exit(main())
