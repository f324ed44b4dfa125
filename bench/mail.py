"""Report e-mail benchmark (issue 24): ``python -m bench.mail [--sample N] [--jobs N]``.

Subscribes every region (38 provinces and 514 regencies, or about ``--sample`` of them) to the
weekly message with its PDF deck, in a fresh application database and file folder, and runs
``dashboard.subscriptions run --once --now`` against a real SMTP server on 127.0.0.1
(aiosmtpd, counting what it receives): the decks built by the batch's worker processes, then
every message composed, sent and recorded. A sample projects the whole run from its CPU
seconds. Uses the store in ``$PRAKERJA_DATA_DIR``; writes the "Report e-mails" section of
``docs/PERFORMANCE.md``. Target: all 552 messages with PDF decks ≤ 10 min on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.decks import _load, write_section
from dashboard.exports.batch import TASKS_PER_WORKER, plan
from dashboard.subscriptions import delivery
from dashboard.subscriptions.storage import SubscriptionInput
from outreach.storage import Editor
from queries.bootstrap import ensure_store

TARGET_S = 600.0
MARKERS = ("<!-- bench.mail:start -->", "<!-- bench.mail:end -->")


class Sink:
    """An SMTP handler that counts messages and bytes."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.sizes.append(len(getattr(envelope, "content", b"")))
        return "250 OK"


def _projected(
    report: delivery.RunReport, done: int, everything: int, workers: int, serial: float
) -> float:
    """All regions on idle cores: the decks spread over the workers, their start-up once per
    round of workers (the batch replaces them after 60 files each), the messages one by one."""
    share = everything / max(1, done)
    startup = max(0.0, report.batch_cpu_seconds - report.files_cpu_seconds)
    rounds = math.ceil(everything / (TASKS_PER_WORKER * workers))
    rounds_now = math.ceil(done / (TASKS_PER_WORKER * workers))
    decks = report.files_cpu_seconds * share + startup * rounds / max(1, rounds_now)
    return decks / workers + serial * share


def measure(workers: int, sample: int, tmp: Path) -> dict[str, str]:
    """One run in ``tmp`` (application database, deck folder); the figures as table cells."""
    store = ensure_store()
    (tmp / "store").symlink_to(store)  # the store as it is; files and database in tmp
    os.environ["PRAKERJA_DATA_DIR"] = str(tmp)
    os.environ["PRAKERJA_APP_DB_URL"] = f"sqlite:///{tmp / 'app.sqlite'}"
    everything = plan("both", "pdf")
    jobs = everything[:: max(1, len(everything) // sample)] if sample else everything
    sink = Sink()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["PRAKERJA_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        with delivery.opened() as subscriptions:
            subscriptions.subscribe_many(
                Editor("bench", "ID"),
                [SubscriptionInput(f"bench-{j.code}@example.go.id", j.code) for j in jobs],
            )
            before, cpu, started = _load(), time.process_time(), time.perf_counter()
            report = delivery.run_once(subscriptions, tmp / "store", force=True, workers=workers)
            seconds = time.perf_counter() - started
            # this process composes and sends, one message after another
            serial = time.process_time() - cpu - (report.batch_cpu_seconds if workers == 1 else 0)
    finally:
        controller.stop()
    projected = _projected(report, len(jobs), len(everything), workers, serial)
    return {
        "run": f"{len(jobs)} of {len(everything)} weekly messages with PDF decks",
        "sent / failed": f"{report.sent} / {len(report.failed)}",
        "wall seconds (shared machine)": f"{seconds:.0f} s",
        "CPU s per deck (batch workers)": f"{report.files_cpu_seconds / max(1, len(jobs)):.2f} s",
        "CPU s of the batch (workers from start)": f"{report.batch_cpu_seconds:.0f} s",
        "CPU s per message composed and sent": f"{serial / max(1, len(jobs)):.2f} s",
        "all 552 on idle cores (decks ÷ workers + messages)": f"{projected:.0f} s",
        "target": f"≤ {TARGET_S:.0f} s: {'yes' if projected <= TARGET_S else 'NO'}",
        "largest message": f"{max(sink.sizes, default=0) / 1e6:.2f} MB",
        "load before / after (1, 5, 15 min)": f"{before} → {_load()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=0, help="send only about N messages")
    parser.add_argument("--report", type=Path, default=Path("docs/PERFORMANCE.md"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        row = measure(args.jobs, args.sample, Path(tmp))
    print(row, flush=True)
    write_section(args.report, [row], args.jobs, "Report e-mails (`python -m bench.mail`)", MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
