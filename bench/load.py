"""Load test: ``python -m bench.load --sessions N --duration S [--url URL | --start]``.

Drives N concurrent virtual users through the running dashboard over Streamlit's own
websocket protocol (``/_stcore/stream``), exactly as browsers do: each view is a ``BackMsg``
``rerun_script`` carrying the page and the URL query string, answered by the app's
``ForwardMsg`` stream up to ``script_finished``. The response time of a view is the time from
sending the rerun to receiving ``script_finished``; it includes the whole script run and the
transfer of every element, but not the browser's rendering or component iframe assets.

A virtual user repeatedly opens a visit (a new websocket, so a new Streamlit session, like a
browser tab opening a shared link), views 1-4 different screens in it (the first by URL, the
next ones as sidebar clicks), pausing a random think time between views, then closes the tab.
Views are a seeded mix of the four screens over random provinces, regencies, periods,
filters and metrics; half of the Daerah Saya views open one of its tabs by its link
(``bagian``), the others its first tab.

Errors: an exception element, an ``st.error`` alert, a page-not-found, a compile error, a
view that does not finish within ``--timeout``, or a failed or dropped connection.

With ``--start`` the script starts the app itself (``streamlit run dashboard/app.py``) on a
free port with ``PRAKERJA_DATA_DIR``, ``PRAKERJA_CACHE_DIR`` and
``PRAKERJA_REFRESH_MINUTES=0`` and stops it at the end. ``--write-doc`` records the figures in
``docs/RELIABILITY.md``. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from bench import require_loopback
from geo.regions import provinces, regencies

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "RELIABILITY.md"
PERIOD = (date(2020, 4, 11), date(2020, 9, 3))
METRICS = ("pendaftar", "penerima", "selesai", "dibayar", "rupiah", "per-1000", "rasio-penerima")
# Screen url path → share of views (what Kemenko and Pemda users open most).
SCREENS = {"": 0.40, "daerah-saya": 0.30, "bandingkan": 0.20, "tentang-data": 0.10}
SCREEN_LABEL = {"": "/", "daerah-saya": "/daerah-saya", "bandingkan": "/bandingkan"}
SCREEN_LABEL["tentang-data"] = "/tentang-data"
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
STREAMLIT_PROTOCOL = Subprotocol("streamlit")
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"


# --- views -----------------------------------------------------------------------------------


class ViewMaker:
    """A seeded generator of realistic (screen, query string) pairs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.provinces = list(provinces()["code"])
        by_province: dict[str, list[str]] = {}
        for code, province in zip(regencies()["code"], regencies()["province_code"], strict=True):
            by_province.setdefault(province, []).append(code)
        self.regencies = by_province
        # Java's populous provinces are opened more often than the rest.
        self.weights = [
            4 if code in {"31", "32", "33", "35", "36"} else 1 for code in self.provinces
        ]

    def province(self) -> str:
        return self.rng.choices(self.provinces, self.weights)[0]

    def regency(self) -> str:
        return self.rng.choice(self.regencies[self.province()])

    def filters(self) -> dict[str, str]:
        rng, params = self.rng, {}
        if rng.random() < 0.35:
            start = PERIOD[0] + timedelta(days=rng.randrange(0, 120))
            end = min(PERIOD[1], start + timedelta(days=rng.choice((7, 30, 60, 90))))
            params["dari"], params["sampai"] = start.isoformat(), end.isoformat()
        if rng.random() < 0.2:
            params["jk"] = rng.choice(("F", "M"))
        if rng.random() < 0.15:
            params["usia"] = ",".join(rng.sample(("18-25", "26-35", "36-45", "46-55", "56-64"), 2))
        if rng.random() < 0.1:
            params["kanal"] = rng.choice(("online", "offline"))
        if rng.random() < 0.1:
            first = rng.randint(1, 20)
            params["gelombang"] = ",".join(str(w) for w in range(first, first + 3))
        if rng.random() < 0.05:
            params["disabilitas"] = "1"
        if rng.random() < 0.3:
            params["metrik"] = rng.choice(METRICS)
        return params

    def view(self, screen: str) -> tuple[str, str]:
        rng = self.rng
        if screen == "tentang-data":
            return screen, ""
        params = self.filters()
        if screen == "":
            if rng.random() < 0.5:
                params["wilayah"] = self.province()
            elif rng.random() < 0.3:
                params["tingkat"] = "kabupaten"
        elif screen == "daerah-saya":
            params["wilayah"] = self.regency() if rng.random() < 0.7 else self.province()
            if rng.random() < 0.5:  # a section other than the first tab, as its link opens it
                params["bagian"] = rng.choice(("kecamatan", "rincian", "dampak", "prioritas"))
        elif screen == "bandingkan":
            picks = rng.sample(self.provinces, rng.randint(2, 6))
            params["prov"] = ",".join(picks)
        return screen, urlencode(params, safe=",")

    def screens(self, count: int) -> list[str]:
        """``count`` different screens, drawn by their share of views."""
        pool = dict(SCREENS)
        chosen = []
        for _ in range(min(count, len(pool))):
            screen = self.rng.choices(list(pool), list(pool.values()))[0]
            chosen.append(screen)
            del pool[screen]
        return chosen


# --- one virtual user ------------------------------------------------------------------------


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=dict)  # screen → ms
    connects: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    visits: int = 0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {detail[:200]}")


class ViewFailed(Exception):
    pass


def rerun_message(base_url: str, screen: str, query: str, page_hash: str) -> bytes:
    url = f"{base_url}/{screen}" + (f"?{query}" if query else "")
    state = ClientState(
        query_string=query,
        page_script_hash=page_hash,
        page_name="" if page_hash else screen,
        context_info=ContextInfo(
            timezone="Asia/Jakarta", timezone_offset=-420, locale="id-ID", url=url
        ),
    )
    return BackMsg(rerun_script=state).SerializeToString()


async def run_view(
    ws: ClientConnection,
    payload: bytes,
    timeout: float,
    pages: dict[str, str],
    sizes: list[int] | None = None,
) -> list[str]:
    """Send one rerun and read up to its end; returns the problems found in the output.
    ``sizes`` (when given) receives the size of each ``ForwardMsg`` of the view, in bytes."""
    problems: list[str] = []
    await ws.send(payload)
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            if sizes is not None:
                sizes.append(len(raw))
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    problems.append(
                        f"exception: {element.exception.type}: {element.exception.message}"
                    )
                elif which == "alert" and element.alert.format == Alert.ERROR:
                    problems.append(f"st.error: {element.alert.body}")
            elif kind == "navigation":
                for page in msg.navigation.app_pages:
                    pages[page.url_pathname] = page.page_script_hash
            elif kind == "page_not_found":
                problems.append(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "session_event" and msg.session_event.HasField(
                "script_compilation_exception"
            ):
                problems.append("script compilation exception")
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("script finished with compile error")
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # st.rerun() runs on
                    return problems


async def virtual_user(
    number: int, args: argparse.Namespace, deadline: float, stats: Stats, base_url: str
) -> None:
    rng = random.Random(args.seed * 1000 + number)
    views = ViewMaker(rng)
    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    # Users arrive spread over up to a quarter of the run, not all in the same second.
    await asyncio.sleep(rng.uniform(0, min(args.duration / 4, max(2.0, args.think * 2))))
    while time.monotonic() < deadline:
        stats.visits += 1
        started = time.perf_counter()
        try:
            ws = await asyncio.wait_for(
                websockets.connect(
                    stream, subprotocols=[STREAMLIT_PROTOCOL], max_size=MAX_MESSAGE_BYTES
                ),
                timeout=args.timeout,
            )
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            stats.error("connect", repr(error))
            await asyncio.sleep(1.0)
            continue
        stats.connects.append((time.perf_counter() - started) * 1000)
        pages: dict[str, str] = {}
        try:
            for index, screen in enumerate(views.screens(rng.randint(1, 4))):
                if time.monotonic() >= deadline:
                    break
                _, query = views.view(screen)
                # First view: the browser loads the link; later views: a sidebar click.
                page_hash = pages.get(screen, "") if index else ""
                payload = rerun_message(base_url, screen, query, page_hash)
                label = SCREEN_LABEL[screen] + (f"?{query}" if query else "")
                started = time.perf_counter()
                try:
                    problems = await run_view(ws, payload, args.timeout, pages)
                except TimeoutError:
                    stats.error("timeout", label)
                    raise ViewFailed from None
                elapsed = (time.perf_counter() - started) * 1000
                stats.times.setdefault(SCREEN_LABEL[screen], []).append(elapsed)
                for problem in problems:
                    stats.error(problem.split(":")[0], f"{label} → {problem}")
                think = rng.uniform(0, 2 * args.think)
                await asyncio.sleep(min(think, max(0.0, deadline - time.monotonic())))
        except ViewFailed:
            pass
        except websockets.WebSocketException as error:
            stats.error("connection lost", repr(error))
        except Exception as error:  # e.g. an undecodable message: count it, keep the run going
            stats.error("client", repr(error))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), timeout=5)


# --- starting the app ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_app(args: argparse.Namespace, log: Path) -> tuple[subprocess.Popen, str]:
    port = args.port or free_port()
    app_dir = args.app_dir.resolve()
    env = {
        **os.environ,
        "PRAKERJA_DATA_DIR": str(args.data_dir),
        "PRAKERJA_CACHE_DIR": str(args.cache_dir),
        "PRAKERJA_REFRESH_MINUTES": "0",
        # Import the app's packages from --app-dir, not from the editable install.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # As deployed: edits to the source during a run must not reload the app.
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        app = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(120):  # up to 60 s
        if app.poll() is not None:
            break
        if healthy(base_url):
            return app, base_url
        time.sleep(0.5)
    stop_app(app)
    sys.exit(f"The app did not start; its log:\n{log.read_text()[-3000:]}")


def stop_app(app: subprocess.Popen) -> None:
    if app.poll() is None:
        os.killpg(app.pid, signal.SIGTERM)
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait(timeout=5)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (``None`` when it is not ours to read)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else None


# --- reporting -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def row(name: str, values: list[float]) -> list[str]:
    if not values:
        return [name, "0", "-", "-", "-"]
    return [
        name,
        str(len(values)),
        f"{percentile(values, 0.5):.0f}",
        f"{percentile(values, 0.95):.0f}",
        f"{max(values):.0f}",
    ]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for line in [header, ["-" * width for width in widths], *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


def machine() -> str:
    model = platform.machine()
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else model
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, Python {python}"


def write_doc(summary: list[str], per_screen: list[list[str]], note: str) -> None:
    """Replace the row of this (sessions, think time) in the doc's table, keeping the other
    rows, and the per-screen table of the latest run."""
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{DOC} has no {BEGIN} … {END} block to write into.")
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    rows = {
        tuple(float(cell) for cell in line.split("|")[1:3]): line
        for line in block.splitlines()
        if re.match(r"\|\s*\d+\s*\|\s*[\d.]+\s*\|", line)
    }
    rows[float(summary[0]), float(summary[1])] = "| " + " | ".join(summary) + " |"
    lines = [
        "",
        "",
        "| sessions | think (s) | duration (s) | views | views/s | errors | p50 (ms) | p95 (ms) "
        "| max (ms) | app CPU (% of a core) | app peak RSS (MB) | date |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(rows[key] for key in sorted(rows)),
        "",
        f"Latest run by screen ({note}):",
        "",
        "| screen | views | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---|---|---|---|",
        *("| " + " | ".join(cells) + " |" for cells in per_screen),
        "",
    ]
    DOC.write_text(head + BEGIN + "\n".join(lines) + END + tail)


# --- main ------------------------------------------------------------------------------------


async def warm_up(args: argparse.Namespace, base_url: str) -> None:
    """One unmeasured view of every screen, so the first users do not pay the imports."""
    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(
        stream, subprotocols=[STREAMLIT_PROTOCOL], max_size=MAX_MESSAGE_BYTES
    ) as ws:
        for screen in SCREENS:
            payload = rerun_message(base_url, screen, "", "")
            await run_view(ws, payload, args.timeout, {})


@dataclass
class Run:
    stats: Stats
    seconds: float
    app_cpu: float | None  # seconds of CPU the app used during the measured phase
    own_cpu: float  # seconds of CPU this load generator used


async def drive(args: argparse.Namespace, base_url: str, pid: int | None) -> Run:
    if args.warmup:
        await warm_up(args, base_url)
    stats = Stats()
    app_before, own_before = cpu_seconds(pid), time.process_time()
    started = time.monotonic()
    deadline = started + args.duration
    await asyncio.gather(
        *(virtual_user(n + 1, args, deadline, stats, base_url) for n in range(args.sessions))
    )
    seconds = time.monotonic() - started
    app_after = cpu_seconds(pid)
    app_cpu = app_after - app_before if app_before is not None and app_after is not None else None
    return Run(stats, seconds, app_cpu, time.process_time() - own_before)


def add_start_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--cache-dir`` and ``--app-dir`` of an app the benchmark starts."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("PRAKERJA_DATA_DIR", "/tmp/load-data")),
        help="PRAKERJA_DATA_DIR for --start",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("PRAKERJA_CACHE_DIR", "/tmp/load-cache")),
        help="PRAKERJA_CACHE_DIR (boundary cache) for --start",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="checkout whose app --start runs (default: this one)",
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sessions", type=int, default=20, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="a running app")
    parser.add_argument("--start", action="store_true", help="start the app for the run")
    parser.add_argument("--port", type=int, default=0, help="port for --start (default: free)")
    add_start_options(parser)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time (s)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a view fails")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="skip the unmeasured warm-up"
    )
    parser.add_argument("--write-doc", action="store_true", help=f"record in {DOC.name}")
    parser.add_argument("--label", default="", help="what was measured, for the doc")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.duration <= 0:
        parser.error("--sessions and --duration must be positive")
    if not args.start:
        require_loopback(parser, args.url)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = None
    log = Path(tempfile.gettempdir()) / f"bench-load-app-{os.getpid()}.log"
    try:
        if args.start:
            app, base_url = start_app(args, log)
            print(f"Started the app at {base_url} (log: {log})")
        else:
            base_url = args.url.rstrip("/")
            if not healthy(base_url):
                sys.exit(f"No healthy Streamlit app at {base_url} (try --start).")
        print(f"{args.sessions} sessions for {args.duration:.0f} s against {base_url} …")
        run = asyncio.run(drive(args, base_url, app.pid if app else None))
        stats, elapsed = run.stats, run.seconds
        rss = peak_rss_mb(app.pid) if app else None
        load = os.getloadavg()[0]
        if app and app.poll() is not None:
            stats.error("app exited", f"return code {app.returncode}")
    finally:
        if app:
            stop_app(app)

    everything = [ms for times in stats.times.values() for ms in times]
    errors = sum(stats.errors.values())
    per_screen = [row(name, stats.times.get(name, [])) for name in SCREEN_LABEL.values()]
    print()
    print_table(["screen", "views", "p50 ms", "p95 ms", "max ms"], per_screen)
    print()
    total = row("", everything)
    summary = [
        str(args.sessions),
        f"{args.think:g}",
        f"{elapsed:.0f}",
        total[1],
        f"{len(everything) / elapsed:.1f}",
        str(errors),
        *total[2:],
        f"{100 * run.app_cpu / elapsed:.0f}" if run.app_cpu is not None else "-",
        f"{rss:.0f}" if rss else "-",
        date.today().isoformat(),
    ]
    print_table(
        ["sessions", "think s", "seconds", "views", "views/s", "errors", "p50 ms", "p95 ms",
         "max ms", "app CPU %", "app RSS MB", "date"],
        [summary],
    )  # fmt: skip
    connect = row("", stats.connects)
    print(f"\n{stats.visits} visits (websocket sessions); connect p50 {connect[2]} ms, "
          f"p95 {connect[3]} ms")  # fmt: skip
    if errors:
        print(f"Errors by kind: {dict(stats.errors)}")
        for sample in stats.samples:
            print(f"  {sample}")
    print(
        f"Load generator CPU {100 * run.own_cpu / elapsed:.1f}% of one core; "
        f"1-min load average at the end {load:.1f}"
    )
    print(f"Machine: {machine()}")
    if args.write_doc:
        note = f"{args.sessions} sessions, {args.duration:.0f} s, think {args.think:g} s"
        note += f"; {args.label}" if args.label else ""
        write_doc(summary, per_screen, note)
        print(f"Recorded in {DOC.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
