"""Page weight on a slow link: ``python -m bench.slow_link --url http://127.0.0.1:8080``.

Drives Debian's Chromium through the served topology with Chrome DevTools network emulation
(1.6 Mbit/s down, 750 kbit/s up, 300 ms round trip, the offices of eastern Indonesia) and
counts, per step, what the browser received: HTTP bytes as transferred (``encodedDataLength``,
after gzip) and websocket bytes (see :class:`Counter`).

Steps: first visit of ``/`` to a drawn national map (its bytes also count what the page loads
after the map, up to its first drawn chart: the page hints the charts' Vega last, and a later
visit must not be charged for it); a later visit with the browser cache warm; the switch to
Kabupaten/kota; a filter change on a province view.

``--kecamatan`` adds the kecamatan steps of issue 20, in a fresh browser context that has first
opened Daerah Saya for Kota Bandung (unmeasured: Streamlit's files, the page's chunks, Jawa
Barat's regency file in the cache): the switch of regency to Kabupaten Bekasi in the picker, to
its drawn kecamatan map (Bekasi's kecamatan file fetched for the first time); a later visit of
Daerah Saya for Kabupaten Bekasi, everything cached; and Jawa Barat at kecamatan level
(``tingkat=kecamatan``, 627 kecamatan, its kecamatan file fetched for the first time).
Only loopback URLs are accepted.
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from bench import require_loopback

if TYPE_CHECKING:  # Playwright is imported where a browser starts
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
SLOW_LINK = {
    "offline": False,
    "latency": 300,  # ms, round trip
    "downloadThroughput": 1_600_000 / 8,  # bytes/s
    "uploadThroughput": 750_000 / 8,
}
BUDGET = {
    "first visit": 1_600_000,
    "warm visit": 150_000,
    "to regencies": 250_000,
    "province filter": 100_000,
    "kecamatan: switch to Bekasi": 100_000,
    "kecamatan: warm visit of Bekasi": 100_000,
    "kecamatan: Jawa Barat": 400_000,
}
MAP_FRAME = 'iframe[title^="Peta "]'
KECAMATAN_FRAME = 'iframe[title="Peta Bagian dari pendaftar kabupaten/kota"]'
"""The kecamatan map under its default metric (``DEFAULT_DISTRICT_METRIC``)."""
BEKASI_KECAMATAN = 23
JAWA_BARAT_DRAWN = 600
"""Jawa Barat has 627 kecamatan; ``tests/test_district_browser.py`` checks that every one with
a polygon is drawn, here enough of them to call the map drawn."""


@dataclass
class Counter:
    """Bytes received on one page, by kind, since the last ``reset``.

    Chromium reports websocket frames inflated; when the handshake negotiated
    permessage-deflate, each message is deflated again here with one shared compressor per
    connection (context takeover, as the server does) to count what crossed the wire."""

    http: int = 0
    websocket: int = 0
    largest: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[float, float, int, str]] = field(default_factory=list)
    """(start, end, bytes, URL) of each finished HTTP request, in CDP's seconds."""
    messages: list[tuple[float, int, str]] = field(default_factory=list)
    """(time, bytes, what) of each websocket event: opening, handshake, frame sent/received."""
    _urls: dict[str, str] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)
    _deflaters: dict[str, zlib._Compress] = field(default_factory=dict)

    def on_request(self, event: dict) -> None:
        self._urls[event["requestId"]] = event["request"]["url"]
        self._started[event["requestId"]] = event["timestamp"]

    def on_http(self, event: dict) -> None:
        size = int(event.get("encodedDataLength", 0))
        self.http += size
        url = self._urls.get(event["requestId"], "?")
        self.largest[url] = self.largest.get(url, 0) + size
        started = self._started.get(event["requestId"], event["timestamp"])
        self.requests.append((started, event["timestamp"], size, url))

    def on_websocket(self, event: dict) -> None:
        self.messages.append((event["timestamp"], 0, "websocket handshake sent"))

    def on_handshake(self, event: dict) -> None:
        self.messages.append((event["timestamp"], 0, "websocket open"))
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        if "permessage-deflate" in headers.get("sec-websocket-extensions", ""):
            self._deflaters[event["requestId"]] = zlib.compressobj(wbits=-15)

    def on_frame(self, event: dict) -> None:
        data = _payload(event)
        deflater = self._deflaters.get(event["requestId"])
        if deflater is not None:
            data = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
            size = len(data) - 4  # the sync flush's empty block is not sent
        else:
            size = len(data)
        self.websocket += size
        self.messages.append((event["timestamp"], size, "websocket ↓"))

    def on_frame_sent(self, event: dict) -> None:
        self.messages.append((event["timestamp"], len(_payload(event)), "websocket ↑"))

    def reset(self) -> None:
        self.http = self.websocket = 0
        self.largest.clear()
        self.requests.clear()
        self.messages.clear()


def _payload(event: dict) -> bytes:
    response = event["response"]
    text = response.get("payloadData", "")
    return base64.b64decode(text) if response.get("opcode") == 2 else text.encode()


@dataclass
class Step:
    name: str
    http: int
    websocket: int
    seconds: float
    largest: list[tuple[str, int]]
    requests: list[tuple[float, float, int, str]] = field(default_factory=list)
    messages: list[tuple[float, int, str]] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.http + self.websocket


@dataclass
class Session:
    """One emulated slow browser context, with a byte counter per page."""

    context: BrowserContext
    emulate: bool = True
    counter: Counter = field(default_factory=Counter)
    page: Page | None = None

    def open_page(self) -> Page:
        page = self.page = self.context.new_page()
        cdp = self.context.new_cdp_session(page)
        cdp.send("Network.enable")
        if self.emulate:
            cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        cdp.on("Network.requestWillBeSent", self.counter.on_request)
        cdp.on("Network.loadingFinished", self.counter.on_http)
        cdp.on("Network.webSocketWillSendHandshakeRequest", self.counter.on_websocket)
        cdp.on("Network.webSocketHandshakeResponseReceived", self.counter.on_handshake)
        cdp.on("Network.webSocketFrameReceived", self.counter.on_frame)
        cdp.on("Network.webSocketFrameSent", self.counter.on_frame_sent)
        return page

    def step(
        self, name: str, action: Callable[[], None], rest: Callable[[], None] | None = None
    ) -> Step:
        """Time ``action``; count the bytes of ``action`` and then of ``rest`` (what the page
        still loads after the timed moment) too."""
        assert self.page is not None, "open_page first"
        self.counter.reset()
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        if rest:
            rest()
        self.page.wait_for_timeout(500)  # late frames of the same step
        largest = sorted(self.counter.largest.items(), key=lambda item: -item[1])[:8]
        requests = sorted(self.counter.requests)
        messages = sorted(self.counter.messages)
        return Step(
            name, self.counter.http, self.counter.websocket, seconds, largest, requests, messages
        )


def wait_for_map(page: Page, min_regions: int = 1, timeout: float = 120_000) -> None:
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator("path.leaflet-interactive").nth(min_regions - 1).wait_for(timeout=timeout)


def wait_for_kecamatan(page: Page, prefix: str, count: int, timeout: float = 120_000) -> None:
    """The kecamatan map shows at least ``count`` kecamatan whose code starts with ``prefix``
    (so that the previous regency's map, still on the page during a switch, does not count;
    while the run replaces it there may be two such frames, the new one last)."""
    frame = page.frame_locator(KECAMATAN_FRAME).last
    frame.locator(f'path[data-code^="{prefix}"]').nth(count - 1).wait_for(timeout=timeout)


def wait_for_charts(page: Page, timeout: float = 120_000) -> None:
    """A chart is drawn: Vega, the last file the page hints (dashboard/static_files.py), has
    arrived, and a first visit's bytes include it although the map was drawn before."""
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=timeout)


def measure(browser: Browser, base_url: str, emulate: bool = True) -> list[Step]:
    """The four steps of the budget, in one fresh browser context. Bytes do not depend on the
    link speed, so the byte-budget test runs with ``emulate=False``."""
    context = browser.new_context(viewport={"width": 1366, "height": 1400})
    session = Session(context, emulate)
    page = session.open_page()

    def visit() -> None:
        page.goto(base_url + "/")
        wait_for_map(page)

    steps = [session.step("first visit", visit, rest=lambda: wait_for_charts(page))]
    page.close()
    page = session.open_page()
    steps.append(session.step("warm visit", visit))

    def to_regencies() -> None:
        page.get_by_text("Kabupaten/kota", exact=True).click()
        page.wait_for_function("() => location.search.includes('tingkat=kabupaten')")
        wait_for_map(page, min_regions=400)

    steps.append(session.step("to regencies", to_regencies))
    page.goto(base_url + "/?wilayah=32")
    wait_for_map(page)
    page.get_by_text("Data sintetis (demo)").first.wait_for()

    def filter_change() -> None:
        first = page.locator('[data-testid="stMetricValue"]').first
        before = first.inner_text()
        page.get_by_label("Jenis kelamin").first.click()
        page.get_by_role("option", name="Perempuan").click()
        page.keyboard.press("Escape")
        page.wait_for_function("() => location.search.includes('jk=F')")
        deadline = time.monotonic() + 60
        while first.inner_text() == before and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        wait_for_map(page)

    steps.append(session.step("province filter", filter_change))
    context.close()
    return steps


def measure_kecamatan(browser: Browser, base_url: str, emulate: bool = True) -> list[Step]:
    """The kecamatan steps (issue 20), in a fresh browser context warmed by a visit of Daerah
    Saya for Kota Bandung."""
    context = browser.new_context(viewport={"width": 1366, "height": 1400})
    session = Session(context, emulate)
    page = session.open_page()
    page.goto(base_url + "/daerah-saya?wilayah=3273&bagian=rincian")  # the charts' code
    wait_for_charts(page)
    page.goto(base_url + "/daerah-saya?wilayah=3273")  # the Kecamatan tab, first for a regency
    wait_for_kecamatan(page, "3273", 1)
    page.wait_for_timeout(1000)

    def switch() -> None:
        page.get_by_label("Kabupaten/kota").first.click()
        page.keyboard.type("Kabupaten Bekasi")  # the list is virtual: filter it first
        page.get_by_role("option", name="Kabupaten Bekasi (32.16)").click()
        page.wait_for_function("() => /wilayah=3216(&|$)/.test(location.search)")
        wait_for_kecamatan(page, "3216", BEKASI_KECAMATAN)

    steps = [session.step("kecamatan: switch to Bekasi", switch)]
    page.close()
    bekasi = f"{base_url}/daerah-saya?wilayah=3216"
    steps.append(
        _visit(session, "kecamatan: warm visit of Bekasi", bekasi, "3216", BEKASI_KECAMATAN)
    )
    jawa_barat = f"{base_url}/daerah-saya?wilayah=32&tingkat=kecamatan"
    steps.append(_visit(session, "kecamatan: Jawa Barat", jawa_barat, "32", JAWA_BARAT_DRAWN))
    context.close()
    return steps


def _visit(session: Session, name: str, url: str, prefix: str, count: int) -> Step:
    """A new tab in the session (its browser cache kept) opening ``url``, timed to ``count``
    drawn kecamatan whose code starts with ``prefix``."""
    page = session.open_page()

    def visit() -> None:
        page.goto(url)
        wait_for_kecamatan(page, prefix, count)

    step = session.step(name, visit)
    page.close()
    return step


def table(steps: list[Step]) -> str:
    lines = [
        "| step | HTTP | websocket | total | budget | time at 1.6 Mbit/s |",
        "|---|---|---|---|---|---|",
    ]
    for step in steps:
        lines.append(
            f"| {step.name} | {step.http / 1000:,.0f} kB | {step.websocket / 1000:,.0f} kB | "
            f"{step.received / 1000:,.0f} kB | {BUDGET[step.name] / 1000:,.0f} kB | "
            f"{step.seconds:.1f} s |"
        )
    return "\n".join(lines)


def waterfall(step: Step) -> str:
    """One line per HTTP request and websocket event of a step, from its first request: when
    it started and ended, bytes received (sent, for a websocket frame going up), URL path or
    event. The critical path shows as the chains of starts."""
    if not step.requests:
        return ""
    lines = [
        (start, end, size, urlparse(url)._replace(scheme="", netloc="").geturl()[:100])
        for start, end, size, url in step.requests
    ] + [(time, time, size, what) for time, size, what in step.messages]
    first = step.requests[0][0]
    return "\n".join(
        f"  {start - first:6.2f} {end - first:6.2f} s {size / 1000:7.1f} kB  {what}"
        for start, end, size, what in sorted(lines)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_link", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the proxy (or a worker)")
    parser.add_argument("--largest", action="store_true", help="list each step's largest files")
    parser.add_argument("--waterfall", action="store_true", help="list each step's requests")
    parser.add_argument(
        "--kecamatan", action="store_true", help="add the kecamatan steps (issue 20)"
    )
    parser.add_argument(
        "--only-kecamatan", action="store_true", help="the kecamatan steps alone (a shorter run)"
    )
    args = parser.parse_args(argv)
    require_loopback(parser, args.url)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        steps = [] if args.only_kecamatan else measure(browser, args.url.rstrip("/"))
        if args.kecamatan or args.only_kecamatan:
            steps += measure_kecamatan(browser, args.url.rstrip("/"))
        browser.close()
    print(table(steps))
    for step in steps if args.largest else ():
        print(f"\n{step.name}:")
        for url, size in step.largest:
            print(f"  {size / 1000:8,.0f} kB  {url[:110]}")
    for step in steps if args.waterfall else ():
        print(f"\n{step.name} (start, end, received, path):\n{waterfall(step)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
