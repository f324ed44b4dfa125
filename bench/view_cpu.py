"""CPU per view of one worker: ``python -m bench.view_cpu --url http://127.0.0.1:8601 --pid P``.

Opens the views below, ``--rounds`` times, each as a browser tab opening a shared link (a new
websocket, so a new Streamlit session, as every visit in ``bench.load`` starts); the worker's
CPU time (user + system, from ``/proc``) over the measured rounds divided by the views gives
CPU milliseconds per view, then per screen and weighted by the load test's screen mix
(``bench.load.SCREENS``). CPU time does not grow when other programs share the cores, so unlike
response times it can be compared between a busy and a quiet machine. Beside it, the
``ForwardMsg`` messages and their bytes (before the websocket's compression) per view: CPU per
view alone misled once (docs/RELIABILITY.md, issue-9h). ``--screen`` limits the
run to one screen. With ``--cold`` every round asks for another period (``sampai`` one day
earlier), so no view is in a cache: what a first view costs, as most of ``bench.load``'s random
filters are (Tentang Data has no filters and stays cached). One idle tab stays open during
the run, as other users' tabs are under load. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import timedelta

import websockets

from bench import require_loopback
from bench.load import (
    MAX_MESSAGE_BYTES,
    PERIOD,
    SCREENS,
    STREAMLIT_PROTOCOL,
    cpu_seconds,
    rerun_message,
    run_view,
)

# name → (screen url path, query string); Daerah Saya mostly regencies, as in the load's mix.
VIEWS = {
    "Nasional, provinsi": ("", ""),
    "Nasional, kabupaten/kota": ("", "tingkat=kabupaten"),
    "Nasional, perempuan": ("", "jk=F"),
    "Nasional, Jawa Barat": ("", "wilayah=32"),
    "Daerah Saya, Jawa Barat": ("daerah-saya", "wilayah=32"),
    "Daerah Saya, Kota Bandung": ("daerah-saya", "wilayah=3273"),
    "Daerah Saya, Kab. Bogor, perempuan": ("daerah-saya", "wilayah=3201&jk=F"),
    "Daerah Saya, Kab. Malang": ("daerah-saya", "wilayah=3507"),
    "Bandingkan, 3 provinsi": ("bandingkan", "prov=32,35,31"),
    "Bandingkan, 6 provinsi per 1.000": ("bandingkan", "prov=11,12,13,14,15,16&metrik=per-1000"),
    "Tentang Data": ("tentang-data", ""),
}
SCREEN_NAMES = {"": "Nasional", "daerah-saya": "Daerah Saya", "bandingkan": "Bandingkan"}
SCREEN_NAMES["tentang-data"] = "Tentang Data"


async def open_view(
    stream: str, base_url: str, screen: str, query: str, timeout: float
) -> list[int]:
    """One visit: a new session opening the view's link, closed once the script finished;
    returns the size of each message the view sent."""
    sizes: list[int] = []
    async with websockets.connect(
        stream, subprotocols=[STREAMLIT_PROTOCOL], max_size=MAX_MESSAGE_BYTES
    ) as ws:
        message = rerun_message(base_url, screen, query, "")
        problems = await run_view(ws, message, timeout, {}, sizes)
    if problems:
        raise RuntimeError(f"/{screen}?{query}: {problems}")
    return sizes


def cold_query(screen: str, query: str, round_number: int) -> str:
    """The view over a period no earlier round asked for (Tentang Data has no filters)."""
    if screen == "tentang-data":
        return query
    until = PERIOD[1] - timedelta(days=round_number + 1)
    return "&".join(filter(None, (query, f"sampai={until.isoformat()}")))


def _cpu_seconds(pid: int) -> float:
    """The worker's CPU time: without it there is nothing to measure."""
    seconds = cpu_seconds(pid)
    if seconds is None:
        raise SystemExit(f"cannot read the CPU time of process {pid} (not running, or not ours)")
    return seconds


@dataclass
class ViewCost:
    """What one view cost the worker, averaged over the measured rounds."""

    cpu_ms: float = 0.0
    messages: float = 0.0
    kilobytes: float = 0.0
    """``ForwardMsg`` bytes before the websocket's compression."""


async def measure(
    base_url: str,
    pid: int,
    views: dict[str, tuple[str, str]],
    rounds: int,
    timeout: float,
    cold: bool = False,
) -> dict[str, ViewCost]:
    """CPU milliseconds, messages and kB per view, by view, after one unmeasured round
    (imports, caches)."""
    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    costs = {name: ViewCost() for name in views}
    # One idle tab stays open, as under load: when its last session closes, Streamlit drops
    # the compiled page scripts, and every view would compile its page again.
    async with websockets.connect(stream, subprotocols=[STREAMLIT_PROTOCOL]):
        for round_number in range(rounds + 1):
            for name, (screen, query) in views.items():
                if cold:
                    query = cold_query(screen, query, round_number)
                before = _cpu_seconds(pid)
                sizes = await open_view(stream, base_url, screen, query, timeout)
                await asyncio.sleep(0.2)  # the worker closes the session after the socket
                if round_number:  # the first round warms the caches
                    cost = costs[name]
                    cost.cpu_ms += 1000 * (_cpu_seconds(pid) - before) / rounds
                    cost.messages += len(sizes) / rounds
                    cost.kilobytes += sum(sizes) / 1000 / rounds
    return costs


def per_screen(per_view: dict[str, ViewCost]) -> dict[str, ViewCost]:
    """Mean cost per view of each screen measured."""
    by_screen: dict[str, list[ViewCost]] = {}
    for name, cost in per_view.items():
        by_screen.setdefault(VIEWS[name][0], []).append(cost)
    return {screen: _mean(costs) for screen, costs in by_screen.items()}


def _mean(costs: list[ViewCost]) -> ViewCost:
    count = len(costs)
    return ViewCost(
        sum(c.cpu_ms for c in costs) / count,
        sum(c.messages for c in costs) / count,
        sum(c.kilobytes for c in costs) / count,
    )


def _cells(cost: ViewCost) -> str:
    return f"{cost.cpu_ms:.0f} | {cost.messages:.0f} | {cost.kilobytes:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.view_cpu", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8601", help="one worker, not the proxy")
    parser.add_argument("--pid", type=int, required=True, help="that worker's process id")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--screen", choices=list(SCREENS), help="only this screen's views")
    parser.add_argument("--cold", action="store_true", help="first views only: no cache hits")
    args = parser.parse_args(argv)
    require_loopback(parser, args.url)
    views = {n: v for n, v in VIEWS.items() if args.screen in (None, v[0])}
    per_view = asyncio.run(
        measure(args.url.rstrip("/"), args.pid, views, args.rounds, args.timeout, args.cold)
    )
    print("| view | CPU ms | messages | kB |\n|---|---|---|---|")
    for name, cost in per_view.items():
        print(f"| {name} | {_cells(cost)} |")
    screens = per_screen(per_view)
    print("\n| screen | CPU ms | messages | kB | share of the load's views |")
    print("|---|---|---|---|---|")
    for screen, cost in screens.items():
        print(f"| {SCREEN_NAMES[screen]} | {_cells(cost)} | {SCREENS[screen]:.0%} |")
    if len(screens) == len(SCREENS):
        mix = ViewCost(
            *(
                sum(SCREENS[screen] * getattr(cost, part) for screen, cost in screens.items())
                for part in ("cpu_ms", "messages", "kilobytes")
            )
        )
        print(
            f"\nload mix {mix.cpu_ms:.0f} ms, {mix.messages:.0f} messages, "
            f"{mix.kilobytes:.0f} kB → {1000 / mix.cpu_ms:.1f} views/s per core"
        )
    print(f"1-min load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
