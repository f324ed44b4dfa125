"""Filter latency in Chromium: ``python -m bench.filter_latency --url http://127.0.0.1:8080``.

What a user waits for after changing a filter is the redrawn map and charts. This drives
Debian's Chromium (Playwright) through filter changes on Daerah Saya (Kota Bandung, with its
kecamatan map) and Nasional (provinces), and times each from the input event (the option
clicked, the key pressed) to the last chart and map drawn: the page counts, in its own
clock, every change under a Vega view (``.vega-embed``, SVG or canvas) and every change inside
the map frames' documents (Leaflet's paths, the legend), and a step ends when the script run
is over in the browser and nothing has been drawn for ``--quiet`` seconds. The time of a step
is the later of the last drawing and the end of the run (the faded "stale" page).

Steps, ``--reps`` times each after one unmeasured round: the period slider's end one day
earlier (arrow key on its thumb; every repetition a new period, so no view is cached); a
filter (Daerah Saya: Jenis kelamin "Perempuan" on, then off; Nasional: Gelombang 3 on, then
off); and the region picker (Daerah Saya: Kota Bandung ↔ Kabupaten Bekasi; Nasional: open
Jawa Barat from "Buka kabupaten/kota di provinsi", then "Kembali ke peta nasional").

Where the time goes, per step: input → the rerun sent on the websocket (the widget's own
delay), → the run finished in the browser (queueing, the script, the deltas), → the last
drawing (the browser's rendering after the run); the renderer's main-thread busy time (CDP
``Performance.getMetrics`` TaskDuration) and how many ``<iframe>`` elements the step created.

Phases (``--phases``): ``quiet``, then ``load`` with ``python -m bench.load`` beside it (100
sessions at a 10 s mean think time by default, the human-pace run of docs/RELIABILITY.md),
measured after its users have arrived. ``--lock FILE`` takes the shared measurement lock
(``flock``) for the timed phases only; the load average is printed before and after each.

With ``--start`` the script starts the served topology itself (``python -m dashboard.serve``:
HAProxy, two workers, the static sidecar; no refresh service) from ``--app-dir`` (default
this checkout) with ``PRAKERJA_DATA_DIR`` and ``PRAKERJA_CACHE_DIR``, and stops it at the end.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench import require_loopback
from bench.load import (
    add_start_options,
    free_port,
    healthy,
    machine,
    percentile,
    print_table,
    stop_app,
)
from bench.slow_link import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:  # Playwright is imported where a browser starts
    from playwright.sync_api import CDPSession, Page

ROOT = Path(__file__).resolve().parent.parent
SIDEBAR = '[data-testid="stSidebar"]'

PROBE = r"""
(() => {
  if (window !== window.top || window.__fl) { return; }
  const now = () => performance.now();
  const s = window.__fl = {
    armed: false, input: 0, vega: 0, vegaLast: 0, map: 0, mapLast: 0, frames: 0,
    sent: 0, received: 0, finished: 0, running: 0,
  };
  s.reset = () => {
    Object.assign(s, {armed: false, input: 0, vega: 0, vegaLast: 0, map: 0, mapLast: 0,
                      frames: 0, sent: 0, received: 0, finished: 0, running: 0});
  };
  const vegaMark = () => { if (s.input) { s.vega++; s.vegaLast = now(); } };
  const mapMark = () => { if (s.input) { s.map++; s.mapLast = now(); } };
  for (const name of ["clearRect", "fillRect", "fill", "stroke", "fillText", "drawImage"]) {
    const original = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (...args) {
      if (this.canvas && this.canvas.closest && this.canvas.closest(".vega-embed")) vegaMark();
      return original.apply(this, args);
    };
  }
  const countFrames = (node) => {
    if (node.nodeName === "IFRAME") { s.frames++; }
    else if (node.querySelectorAll) { s.frames += node.querySelectorAll("iframe").length; }
  };
  const watchTop = () => new MutationObserver((records) => {
    for (const record of records) {
      const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      if (target && target.closest && target.closest(".vega-embed")) { vegaMark(); }
      if (record.attributeName === "data-test-script-state" && s.input) {
        if (target.dataset.testScriptState === "running") { s.running = now(); }
        else if (target.dataset.testScriptState === "notRunning") { s.finished = now(); }
      }
      if (s.input) { record.addedNodes.forEach(countFrames); }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watchTop);
  } else { watchTop(); }
  // The map frames: Playwright's init scripts run in a frame's first (blank) document only,
  // so this page watches each frame's current document itself (same origin).
  const watched = new WeakSet();
  setInterval(() => {
    for (const frame of document.querySelectorAll("iframe")) {
      let doc = null;
      try { doc = frame.contentDocument; } catch (e) { continue; }
      if (!doc || watched.has(doc) || doc.URL === "about:blank") { continue; }
      watched.add(doc);
      new MutationObserver(mapMark).observe(
        doc, {subtree: true, childList: true, attributes: true, characterData: true});
    }
  }, 10);
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, () => {
      if (s.armed && !s.input) { s.input = now(); }
    }, true);
  }
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener("message", () => { if (s.input) { s.received = now(); } });
    const send = socket.send.bind(socket);
    socket.send = (data) => { if (s.input && !s.sent) { s.sent = now(); } return send(data); };
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""
"""Runs in the page before Streamlit: all times in the page's ``performance.now()`` (ms)."""


# --- one timed step ----------------------------------------------------------------------------


@dataclass
class Timing:
    page: str
    step: str
    total: float  # s, input → the later of the last drawing and the end of the run
    to_sent: float  # s, input → rerun sent
    server: float  # s, rerun sent → run finished in the browser
    drawing: float  # s, run finished → last drawing (0 when everything was drawn before)
    wire: float  # s, first websocket frame sent → last one received (the network's clock)
    busy: float  # s of the renderer's main thread during the step
    frames: int  # <iframe> elements created
    vega: int  # changes under Vega views
    map: int  # changes in the map frames


class StepFailed(Exception):
    pass


def _browser_busy(cdp: CDPSession) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


def settle(page: Page, quiet: float, timeout: float = 90) -> None:
    """Until Streamlit's run is over and nothing was drawn for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        idle = page.evaluate(
            """() => document.querySelector('.stApp')?.dataset.testScriptState === 'notRunning'
                && performance.now() - Math.max(__fl.vegaLast, __fl.mapLast, __fl.finished)"""
        )
        if idle is not False and idle is not None and idle >= quiet * 1000:
            return
        page.wait_for_timeout(100)
    raise StepFailed("the page did not settle")


@dataclass
class Frames:
    """Websocket frames as the network sees them (CDP timestamps, s), not delayed by a busy
    main thread."""

    sent: list[float] = field(default_factory=list)
    received: list[float] = field(default_factory=list)

    def listen(self, cdp: CDPSession) -> None:
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameSent", lambda event: self.sent.append(event["timestamp"]))
        cdp.on(
            "Network.webSocketFrameReceived",
            lambda event: self.received.append(event["timestamp"]),
        )

    def clear(self) -> None:
        self.sent.clear()
        self.received.clear()

    def wire(self) -> float:
        if not self.sent or not self.received:
            return 0.0
        return max(self.received) - min(self.sent)


def timed(
    page: Page,
    cdp: CDPSession,
    frames: Frames,
    name: str,
    step: str,
    prepare: Callable[[], None],
    act: Callable[[], None],
    quiet: float,
) -> Timing:
    """``prepare`` (open a list, type), then time ``act`` from its first input event."""
    page.evaluate("() => __fl.reset()")
    prepare()
    busy = _browser_busy(cdp)
    frames.clear()
    page.evaluate("() => { __fl.armed = true; }")
    act()
    page.mouse.move(5, 5)  # no hover over the map or a chart while it redraws
    deadline = time.monotonic() + 90
    while not page.evaluate("() => __fl.input && __fl.finished > __fl.input"):
        if time.monotonic() > deadline:
            raise StepFailed(f"{name}, {step}: no run followed the input")
        page.wait_for_timeout(50)
    settle(page, quiet)
    s = page.evaluate("() => ({...__fl})")
    busy = _browser_busy(cdp) - busy
    end = max(s["vegaLast"], s["mapLast"], s["finished"])
    sent = s["sent"] or s["input"]
    return Timing(
        name,
        step,
        total=(end - s["input"]) / 1000,
        to_sent=(sent - s["input"]) / 1000,
        server=(s["finished"] - sent) / 1000,
        drawing=max(0.0, max(s["vegaLast"], s["mapLast"]) - s["finished"]) / 1000,
        wire=frames.wire(),
        busy=busy,
        frames=s["frames"],
        vega=s["vega"],
        map=s["map"],
    )


# --- the two screens ---------------------------------------------------------------------------


@dataclass
class Screen:
    """One screen's steps; ``state`` remembers which way each toggle goes next."""

    name: str
    path: str
    state: dict[str, bool] = field(default_factory=dict)

    def steps(self, page: Page) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
        yield "periode", *self._period(page)
        yield from self._filter(page)
        yield "wilayah", *self._region(page)

    def _period(self, page: Page) -> tuple[Callable[[], None], Callable[[], None]]:
        thumb = page.locator(SIDEBAR).get_by_role("slider").last
        return thumb.focus, lambda: page.keyboard.press("ArrowLeft")

    def _filter(self, page: Page) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
        label, option, step = (
            ("Jenis kelamin", "Perempuan", "jenis kelamin")
            if self.name == "Daerah Saya"
            else ("Gelombang", "Gelombang 3", "gelombang")
        )
        on = not self.state.get(step, False)
        self.state[step] = on
        field_ = page.locator(SIDEBAR).get_by_label(label, exact=True).first
        if on:

            def prepare() -> None:
                field_.click()
                page.keyboard.type(option)
                page.get_by_role("option", name=option).first.wait_for()

            yield step, prepare, lambda: page.get_by_role("option", name=option).first.click()
        else:  # Backspace in the list removes its last (only) choice
            yield step, field_.focus, lambda: page.keyboard.press("Backspace")

    def _region(self, page: Page) -> tuple[Callable[[], None], Callable[[], None]]:
        flip = not self.state.get("wilayah", False)
        self.state["wilayah"] = flip
        if self.name == "Daerah Saya":
            name = "Kabupaten Bekasi (32.16)" if flip else "Kota Bandung (32.73)"
            box = page.get_by_label("Kabupaten/kota", exact=True).first

            def prepare() -> None:
                box.click()
                page.keyboard.type(name.split(" (")[0])  # the list is virtual: filter it
                page.get_by_role("option", name=name).first.wait_for()

            return prepare, lambda: page.get_by_role("option", name=name).first.click()
        if flip:
            box = page.get_by_label("Buka kabupaten/kota di provinsi", exact=True).first

            def open_province() -> None:
                box.click()
                page.keyboard.type("Jawa Barat")
                page.get_by_role("option", name="Jawa Barat").first.wait_for()

            return open_province, lambda: page.get_by_role("option", name="Jawa Barat").click()
        back = page.get_by_role("button", name="Kembali ke peta nasional")
        return back.scroll_into_view_if_needed, back.click


SCREENS = (
    Screen("Daerah Saya", "/daerah-saya?wilayah=3273"),
    Screen("Nasional", "/"),
)


def measure(
    base_url: str, reps: int, warmup: int, quiet: float, phase: str, failures: list[str]
) -> list[Timing]:
    """The timed steps of both screens; a step that fails (no run within 90 s, an option
    not found) goes to ``failures``."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    timings: list[Timing] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for screen in SCREENS:
            screen.state.clear()
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.add_init_script(PROBE)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            frames = Frames()
            frames.listen(cdp)
            open_screen(page, base_url + screen.path, quiet)
            for rep in range(warmup + reps):
                for step, prepare, act in screen.steps(page):
                    try:
                        timing = timed(page, cdp, frames, screen.name, step, prepare, act, quiet)
                    except (StepFailed, PlaywrightError) as error:
                        # counted, and the screen opened again from its link
                        print(f"  [{phase}] {screen.name}, {step}: FAILED ({error})", flush=True)
                        failures.append(f"{phase}: {screen.name}, {step}")
                        screen.state.clear()
                        open_screen(page, base_url + screen.path, quiet)
                        break
                    if rep >= warmup:
                        timings.append(timing)
                    print(
                        f"  [{phase}] {screen.name}, {step}: {timing.total:.2f} s "
                        f"(sent {timing.to_sent:.2f}, run {timing.server:.2f}, "
                        f"drawing {timing.drawing:.2f}, wire {timing.wire:.2f}, "
                        f"busy {timing.busy:.2f}, "
                        f"frames {timing.frames})" + ("" if rep >= warmup else " warm-up"),
                        flush=True,
                    )
            context.close()
        browser.close()
    return timings


def open_screen(page: Page, url: str, quiet: float) -> None:
    """Open a screen and wait until it is drawn (its first drawing counted as a step's)."""
    page.goto(url)
    page.evaluate("() => { __fl.input = performance.now(); }")
    settle(page, quiet, timeout=180)


# --- the server, the load, the lock ------------------------------------------------------------


@contextlib.contextmanager
def served(args: argparse.Namespace) -> Iterator[str]:
    """The served topology from ``--app-dir`` on free ports, until the block ends."""
    port, worker_port = free_port(), free_port()
    app_dir = args.app_dir.resolve()
    env = {
        **os.environ,
        "PRAKERJA_DATA_DIR": str(args.data_dir),
        "PRAKERJA_CACHE_DIR": str(args.cache_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable, "-m", "dashboard.serve", "--workers", str(args.workers),
        "--port", str(port), "--worker-port", str(worker_port), "--refresh-every", "0",
    ]  # fmt: skip
    log = Path("/tmp") / f"bench-filter-latency-serve-{os.getpid()}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the first start compresses the static files
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"The served topology did not start; its log:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        print(f"Started {' '.join(command[1:4])} from {app_dir} at {url} (log: {log})")
        yield url
    finally:
        stop_app(server)


@contextlib.contextmanager
def load_beside(args: argparse.Namespace, url: str) -> Iterator[None]:
    """``python -m bench.load`` against ``url`` until the block ends, its users arrived."""
    command = [
        sys.executable, "-m", "bench.load", "--url", url, "--sessions", str(args.sessions),
        "--think", str(args.think), "--duration", "3600",
    ]  # fmt: skip
    log = Path("/tmp") / f"bench-filter-latency-load-{os.getpid()}.log"
    with log.open("wb") as out:
        load = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    print(f"Load: {' '.join(command[1:])} (log: {log}); {args.ramp:.0f} s for users to arrive")
    try:
        time.sleep(args.ramp)
        if load.poll() is not None:
            sys.exit(f"The load test stopped; its log:\n{log.read_text()[-3000:]}")
        yield
    finally:
        stop_app(load)


@contextlib.contextmanager
def measurement_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    with path.open("a") as handle:
        print(f"Waiting for the measurement lock {path} …", flush=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


# --- reporting ---------------------------------------------------------------------------------


def summary(phase: str, timings: list[Timing]) -> list[list[str]]:
    groups: dict[tuple[str, str], list[Timing]] = {}
    for timing in timings:
        groups.setdefault((timing.page, timing.step), []).append(timing)
    groups[("all", "")] = timings
    rows = []
    for (name, step), group in groups.items():
        totals = [t.total for t in group]
        rows.append(
            [
                phase,
                f"{name}, {step}" if step else name,
                str(len(group)),
                f"{percentile(totals, 0.5):.2f}",
                f"{percentile(totals, 0.95):.2f}",
                f"{max(totals):.2f}",
                f"{statistics.median(t.to_sent for t in group):.2f}",
                f"{statistics.median(t.server for t in group):.2f}",
                f"{statistics.median(t.drawing for t in group):.2f}",
                f"{statistics.median(t.wire for t in group):.2f}",
                f"{statistics.median(t.busy for t in group):.2f}",
                f"{sum(t.frames for t in group) / len(group):.1f}",
            ]
        )
    return rows


HEADER = [
    "phase", "step", "n", "p50 s", "p95 s", "max s", "to sent", "run", "drawing", "wire",
    "busy",
    "iframes/step",
]  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.filter_latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="a running app or proxy")
    parser.add_argument("--start", action="store_true", help="start dashboard.serve for the run")
    add_start_options(parser)
    parser.add_argument("--workers", type=int, default=2, help="workers for --start")
    parser.add_argument("--reps", type=int, default=8, help="timed repetitions of each step")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument("--quiet", type=float, default=1.5, help="s without drawing = done")
    parser.add_argument("--phases", default="quiet,load", help="quiet, load or both")
    parser.add_argument("--sessions", type=int, default=100, help="bench.load users (load)")
    parser.add_argument("--think", type=float, default=10, help="bench.load think time (load)")
    parser.add_argument("--ramp", type=float, default=30, help="s for the load's users to arrive")
    parser.add_argument("--lock", type=Path, help="flock this file around the timed phases")
    args = parser.parse_args(argv)
    args.phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if not set(args.phases) <= {"quiet", "load"}:
        parser.error("--phases takes quiet, load or both")
    if not args.start:
        require_loopback(parser, args.url)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[list[str]] = []
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(served(args)) if args.start else args.url.rstrip("/")
        if not healthy(url):
            sys.exit(f"No healthy app at {url} (try --start).")
        for phase in args.phases:
            with measurement_lock(args.lock):
                before = load_average()
                started = time.strftime("%H:%M:%S", time.gmtime())
                with load_beside(args, url) if phase == "load" else contextlib.nullcontext():
                    print(f"Phase {phase} at {started} UTC, load average {before}", flush=True)
                    timings = measure(url, args.reps, args.warmup, args.quiet, phase, failures)
                after = load_average()
            print(f"Phase {phase}: load average before {before}, after {after}", flush=True)
            rows += summary(phase, timings)
    print()
    print_table(HEADER, rows)
    print(
        "\nto sent: input → rerun sent; run: → run finished in the browser; drawing: → last "
        "chart or map drawn (medians, s); busy: the renderer's main thread (median s)."
    )
    print(f"Machine: {machine()}")
    if failures:
        print(f"Failed steps ({len(failures)}, not in the table): {'; '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
