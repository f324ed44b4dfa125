"""The refresh as its own long-running service: ``python -m queries.refresh_service --every 15m``.

When several dashboard workers serve one store directory, exactly one process must refresh
it (the workers run with ``PRAKERJA_REFRESH_MINUTES=0``). This service refreshes on a fixed
interval, publishes each result as a new immutable store version (``queries.store``), prunes
versions no reader holds a lease on any more, and backs off exponentially while the replica
fails. After each successful refresh it sends the report e-mails that are due
(``dashboard.subscriptions``; only when ``PRAKERJA_SMTP_URL`` is set). Each outcome is
recorded in ``refresh-status.json`` beside the store
(:mod:`queries.health`), so every worker shows the same banner with the true reason.
SIGTERM/SIGINT stop it between two refreshes; a refresh cut short by a kill leaves only a
``.building`` file (removed by the next refresh), never a half-published version.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

from queries import sync
from queries.health import describe, read_health
from queries.store import prune_versions

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h`` or a plain number of seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"durasi tidak valid: {text!r} (contoh: 30s, 15m, 1h)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def refresh_once() -> bool:
    """One refresh (the sync records its outcome for every worker's banner); True on success."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        report = sync.refresh()
    except Exception as error:  # every failure is recorded by the sync; the service goes on
        print(f"{now} refresh failed: {describe(error)}", file=sys.stderr, flush=True)
        return False
    version = report.store_path.name if report.store_path else None
    print(f"{now} published {version} ({report.mode}, {report.seconds:.1f} s)", flush=True)
    return True


REPORTS_COMMAND = ("-m", "dashboard.subscriptions", "run", "--once")
"""The report e-mails' own command: the mail belongs to the app (``dashboard``), which this
service runs as a process, never imports (docs/ARCHITECTURE.md, "Layers")."""


def send_reports(refreshed: bool) -> None:
    """The report e-mails that are due, right after a successful refresh only: after a
    failed one they wait for fresh data, and the log says so (issue 24). Only when
    ``PRAKERJA_SMTP_URL`` is set (``dashboard.subscriptions.settings``); the command's own
    lines go to this service's log, and a failure never stops the refresh."""
    if not os.environ.get("PRAKERJA_SMTP_URL", "").strip():
        return
    if not refreshed:
        print("report e-mails delayed: the refresh failed", file=sys.stderr, flush=True)
        return
    subprocess.run([sys.executable, *REPORTS_COMMAND], check=False)


def seconds_until_next(every: float) -> float:
    """The interval after a success; after failures the shared back-off of
    :mod:`queries.health` (30 s, doubling, at most the interval)."""
    health = read_health(sync.default_store_dir())
    if not health.failing:
        return every
    due = health.next_attempt(timedelta(seconds=every))
    return max(0.0, (due - datetime.now().astimezone()).total_seconds())


def run(every: float, stop: threading.Event, once: bool = False) -> bool:
    """Refresh until ``stop`` is set (or once); returns whether the last refresh succeeded."""
    directory = sync.default_store_dir()
    succeeded = False
    while not stop.is_set():
        succeeded = refresh_once()
        prune_versions(directory)
        send_reports(succeeded)
        if once:
            break
        stop.wait(seconds_until_next(every))
    return succeeded


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
    succeeded = run(args.every, stop, once=args.once)
    print(f"refresh service stopped after {time.monotonic() - started:.0f} s", flush=True)
    return 1 if args.once and not succeeded else 0


if __name__ == "__main__":
    sys.exit(main())
