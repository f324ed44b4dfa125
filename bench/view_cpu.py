"""CPU per view of one worker: ``python -m bench.view_cpu --url http://127.0.0.1:8601 --pid P``.

One websocket session (a browser tab) switches between the views below, ``--rounds`` times;
the worker's CPU time (user + system, from ``/proc``) over the measured rounds divided by the
views gives CPU milliseconds per view. CPU time does not grow when other programs share the
cores, so unlike response times it can be compared between a busy and a quiet machine.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from urllib.parse import urlparse

import websockets

from bench.load import MAX_MESSAGE_BYTES, cpu_seconds, rerun_message, run_view

VIEWS = {
    "Nasional, provinsi": "",
    "Nasional, kabupaten/kota": "tingkat=kabupaten",
    "Nasional, perempuan": "jk=F",
    "Nasional, Jawa Barat": "wilayah=32",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


async def measure(base_url: str, pid: int, rounds: int, timeout: float) -> dict[str, float]:
    """CPU milliseconds per view, by view, after one unmeasured round (imports, caches)."""
    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    spent = dict.fromkeys(VIEWS, 0.0)
    async with websockets.connect(
        stream, subprotocols=["streamlit"], max_size=MAX_MESSAGE_BYTES
    ) as ws:
        for round_number in range(rounds + 1):
            for name, query in VIEWS.items():
                before = cpu_seconds(pid)
                problems = await run_view(ws, rerun_message(base_url, "", query, ""), timeout, {})
                if problems:
                    raise RuntimeError(f"{name}: {problems}")
                if round_number:  # the first round warms the caches
                    spent[name] += cpu_seconds(pid) - before
    return {name: 1000 * seconds / rounds for name, seconds in spent.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.view_cpu", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8601", help="one worker, not the proxy")
    parser.add_argument("--pid", type=int, required=True, help="that worker's process id")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("only loopback URLs are measured")
    per_view = asyncio.run(measure(args.url.rstrip("/"), args.pid, args.rounds, args.timeout))
    print("| view | CPU ms per view |\n|---|---|")
    for name, ms in per_view.items():
        print(f"| {name} | {ms:.0f} |")
    mean = sum(per_view.values()) / len(per_view)
    print(f"\nmean {mean:.0f} ms → {1000 / mean:.1f} views/s per core; "
          f"1-min load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
