"""The served topology on loopback: HAProxy in front of two workers (``dashboard.serve``).

A real Chromium session goes through the proxy and changes a filter; killing its worker
brings the same view back on a live worker while the other worker's tab never notices; a
store version published by the refresh service reaches both workers without a restart. The
data directory is a copy of the session's SQLite replica and store, so publishing here cannot
disturb other tests.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import CHROMIUM
from test_browser import _first_kpi, _open

from bench import slow_link
from dashboard import static_files
from dashboard.page_registry import page_paths
from dashboard.serve import admin, wait_healthy
from dashboard.static_paths import map_component_url
from synthetic import generator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not shutil.which("haproxy"), reason="HAProxy is not installed"),
]
ROOT = Path(__file__).resolve().parent.parent


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count < 65535 and all(_is_free(first + n) for n in range(count)):
            return first
    raise RuntimeError("no free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass(frozen=True)
class Served:
    url: str
    worker_urls: list[str]
    data_dir: Path
    env: dict[str, str]

    def pid(self, worker: str) -> int:
        return int((self.data_dir / "serve" / f"{worker}.pid").read_text())

    def workers(self) -> dict[str, dict[str, str]]:
        """HAProxy's statistics row of each worker (``status``, ``scur`` connections…)."""
        return {row["svname"]: row for row in self._stat() if row["svname"].startswith("w")}

    def static_up(self) -> bool:
        return any(row["svname"] == "static" and row["status"] == "UP" for row in self._stat())

    def _stat(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.admin("show stat").lstrip("# "))))

    def states(self) -> dict[str, tuple[str, str]]:
        """Each worker's HAProxy status and open connections, for failure messages."""
        return {name: (row["status"], row["scur"]) for name, row in self.workers().items()}

    def sessions(self) -> dict[str, int]:
        return {name: int(row["scur"]) for name, row in self.workers().items()}

    def admin(self, command: str) -> str:
        return admin(command, self.data_dir / "serve" / "haproxy.sock")


@pytest.fixture(scope="module")
def served(sqlite_replica, boundary_cache: Path, tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("served")
    replica = data_dir / "replica.sqlite"
    shutil.copyfile(sqlite_replica.url.removeprefix("sqlite:///"), replica)
    shutil.copytree(sqlite_replica.store_dir, data_dir / "store", ignore=_no_leases)
    port, worker_port = _free_ports(1), _free_ports(2)
    env = {
        **os.environ,
        "PRAKERJA_DATA_DIR": str(data_dir),
        "PRAKERJA_CACHE_DIR": str(boundary_cache),
        "PRAKERJA_REPLICA_URL": f"sqlite:///{replica}",
    }
    command = [sys.executable, "-m", "dashboard.serve", "--workers", "2", "--port", str(port)]
    command += ["--worker-port", str(worker_port), "--refresh-every", "0"]
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    served = Served(
        f"http://127.0.0.1:{port}",
        [f"http://127.0.0.1:{worker_port + n}" for n in range(2)],
        data_dir,
        env,
    )
    try:  # the topology goes down even when it never came up
        # the proxy starts once the store, the static files and every boundary file are
        # prepared: on this fresh cache that took over 90 s of a loaded machine
        assert wait_healthy(served.url, 300), (data_dir / "serve.log").read_text()
        assert all(wait_healthy(url, 90) for url in served.worker_urls)
        _wait_all_up(served)
        yield served
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _no_leases(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "leases"]


def _wait_all_up(served: Served, timeout: float = 30) -> None:
    """Every worker and the static sidecar are in HAProxy's rotation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(row["status"] == "UP" for row in served.workers().values()) and served.static_up():
            return
        time.sleep(0.5)
    raise AssertionError(served.admin("show stat"))


def test_a_session_through_the_proxy_survives_its_worker(browser, served: Served) -> None:
    page, errors = _open(browser, f"{served.url}/?tingkat=provinsi", height=1400)
    before = _first_kpi(page)
    page.get_by_label("Jenis kelamin").first.click()
    page.get_by_role("option", name="Perempuan").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('jk=F')", timeout=30_000)
    page.wait_for_timeout(1500)
    filtered = _first_kpi(page)
    assert filtered != before
    url = page.url

    busy = [name for name, count in served.sessions().items() if count > 0]
    assert len(busy) == 1, served.sessions()  # the tab's websocket, pinned to one worker
    bystander, bystander_errors = _bystander(browser, served, _worker_cookie(page))
    bystander_kpi, reconnects = _first_kpi(bystander), []
    bystander.on("websocket", lambda socket: reconnects.append(socket.url))

    reconnected: list = []
    page.on("websocket", lambda socket: reconnected.append(socket.url))
    os.kill(served.pid(busy[0]), signal.SIGKILL)
    # the tab reconnects to the other worker while its own is down, or to the restarted one if
    # the browser's retry comes after HAProxy took it back: either way the same view returns
    deadline = time.monotonic() + 60
    while not (reconnected and _first_kpi_or_none(page) == filtered):
        assert time.monotonic() < deadline, (served.states(), reconnected)
        page.wait_for_timeout(500)
    assert page.url == url
    assert sum(served.sessions().values()) == 2, served.states()  # the tab and the bystander
    for tab, tab_errors in ((page, errors), (bystander, bystander_errors)):
        exceptions = tab.locator('[data-testid="stException"]')
        assert not exceptions.count(), exceptions.all_inner_texts()
        assert not tab_errors, tab_errors
    assert _first_kpi(bystander) == bystander_kpi
    assert not reconnects, reconnects  # the other worker's tab never noticed
    page.close()
    bystander.close()
    _wait_all_up(served, timeout=60)  # the supervisor restarted the killed worker


def _first_kpi_or_none(tab) -> str | None:
    """The first KPI's text, or None while the reconnecting tab has not drawn it."""
    values = tab.locator('[data-testid="stMetricValue"]')
    return values.first.inner_text() if values.count() else None


def _bystander(browser, served: Served, busy_cookie: str):
    """A new tab on the other worker. A new tab's worker cookie comes from Streamlit's health
    check and host-config, sent together: leastconn sends the first to the idle worker, but the
    second, counting the first still in flight, sees a tie, and the later answer's cookie wins;
    so the least busy worker is chosen within one connection, and a second try may be needed."""
    for _ in range(4):
        tab, errors = _open(browser, f"{served.url}/")
        if _worker_cookie(tab) != busy_cookie:
            return tab, errors
        tab.close()
    raise AssertionError(f"four new tabs on the busy worker: {served.states()}")


def _worker_cookie(tab) -> str:
    """HAProxy's affinity cookie of the tab's browser context: which worker holds it."""
    return next(c["value"] for c in tab.context.cookies() if c["name"] == "PANTAU_WORKER")


def test_map_regions_are_named_keyboard_targets(browser, served: Served) -> None:
    page, errors = _open(browser, f"{served.url}/?tingkat=provinsi", height=1400)
    frame = page.frame_locator('iframe[title^="Peta "]').last
    regions = frame.locator('path.leaflet-interactive[role="button"][tabindex="0"]')
    regions.first.wait_for(timeout=60_000)
    assert regions.count() == 38  # every province, each one a named button
    name = regions.nth(10).get_attribute("aria-label")
    assert re.fullmatch(r"[A-Z][\w .'-]+: .+", name), name
    regions.nth(10).focus()
    page.keyboard.press("Enter")  # drills down like a click
    page.wait_for_function("() => /wilayah=\\d{2}/.test(location.search)", timeout=30_000)
    assert not errors, errors
    page.close()


def test_page_weight_through_the_proxy_within_budget(browser, served: Served) -> None:
    steps = {step.name: step for step in slow_link.measure(browser, served.url, emulate=False)}
    report = slow_link.table(list(steps.values()))
    for name, step in steps.items():
        assert step.received <= slow_link.BUDGET[name], report
    # the map's boundaries are a static file the browser fetches once and then keeps
    regions = {name: _boundary_files(step) for name, step in steps.items()}
    assert list(regions["first visit"]) == ["province"], report
    # …once: by the page's preload hint; the map's frame then finds it in the browser's cache
    first = steps["first visit"]
    sizes = [size for _, _, size, url in first.requests if "/boundaries/province-" in url]
    assert sizes[0] > 50_000 and not any(sizes[1:]), slow_link.waterfall(first)
    assert regions["warm visit"] == {}, report
    # a warm visit asks the network for the page, Streamlit's connection check (once: the
    # page's preload is what Streamlit's fetch takes) and its page icon; everything else on the
    # way to the map (modules, the component's page, Leaflet, the boundary file) is kept
    warm = steps["warm visit"]
    asked = [urlparse(url).path for _, _, size, url in warm.requests if size]
    assert sorted(p for p in asked if p.startswith("/_stcore/")) == [
        "/_stcore/health",
        "/_stcore/host-config",
    ], slow_link.waterfall(warm)
    kept = ("/static/", "/app/static/", "/component/")
    assert not [path for path in asked if path.startswith(kept)], slow_link.waterfall(warm)
    assert list(regions["to regencies"]) == ["regency"], report
    assert regions["to regencies"]["regency"] > 50_000, report
    assert steps["to regencies"].websocket < 50_000, report  # values only, no geometry


def test_kecamatan_page_weight_through_the_proxy_within_budget(browser, served: Served) -> None:
    """Issue 20's slow-link budgets: a regency's kecamatan map ≤ 100 kB (the switch to
    Kabupaten Bekasi fetches its kecamatan file once, a later visit none), Jawa Barat at
    kecamatan level ≤ 400 kB; the websocket carries values, not geometry."""
    steps = {s.name: s for s in slow_link.measure_kecamatan(browser, served.url, emulate=False)}
    report = slow_link.table(list(steps.values()))
    for name, step in steps.items():
        assert step.received <= slow_link.BUDGET[name], report
    assert list(_boundary_files(steps["kecamatan: switch to Bekasi"])) == ["district-3216"], report
    assert _boundary_files(steps["kecamatan: warm visit of Bekasi"]) == {}, report
    assert list(_boundary_files(steps["kecamatan: Jawa Barat"])) == ["district-32"], report
    assert steps["kecamatan: switch to Bekasi"].websocket < 50_000, report
    assert steps["kecamatan: Jawa Barat"].websocket < 100_000, report  # 627 rows of values


def test_files_on_the_way_to_the_map_are_kept_for_good(served: Served) -> None:
    """What a warm visit takes from the browser's cache without asking (no revalidation round
    trip) comes through the proxy with a year's ``immutable`` lifetime, from the sidecar: the
    component's page, Leaflet and the boundary file under their versioned URLs, Streamlit's
    hashed modules. The page at / itself is asked again on every visit."""
    with urllib.request.urlopen(served.url + "/") as response:
        page = response.read().decode()
        assert response.headers["Cache-Control"] == "no-cache"
    versioned = [
        map_component_url().removeprefix(".") + "&streamlitUrl=x",
        *re.findall(r'href="\.(/app/static/[^"]+)"', page),  # Leaflet, the boundary file
        re.findall(r'src="\.(/static/js/index[^"]+)"', page)[0],
    ]
    assert len(versioned) == 5, page
    for path in versioned:
        with urllib.request.urlopen(served.url + path) as response:
            assert response.headers["Server"] == "nginx", path
            cache = response.headers["Cache-Control"]
            assert cache == "public, max-age=31536000, immutable", (path, cache)
    # without the sidecar's own version (none, another release's), it is asked again
    page_path = map_component_url()[1:].split("?")[0]
    for query in ("", "?v=000000000000"):
        with urllib.request.urlopen(served.url + page_path + query) as response:
            assert response.headers["Cache-Control"] == "no-cache", query


def _boundary_files(step: slow_link.Step) -> dict[str, int]:
    """Boundary file (``province``, ``regency``, ``regency-32``) → bytes received in a step."""
    pattern = re.compile(r"/app/static/boundaries/(.+)-[0-9a-f]{12}\.json$")
    found = {}
    for url, size in step.largest:
        match = pattern.search(url)
        if match and size:
            found[match[1]] = size
    return found


def test_page_hints_exactly_what_a_first_visit_fetches(browser, served: Served) -> None:
    """The page at ``/`` comes from the static sidecar with a hint for every chunk, Leaflet
    file and boundary file that a first visit of Streamlit's own page (a worker's) fetches
    besides what that page names itself, and for nothing else."""
    with urllib.request.urlopen(served.url + "/") as response:
        page = response.read().decode()
    hinted = set(re.findall(r'href="\./([^"]+)" fetchpriority="low"', page))
    streamlits = (static_files.STREAMLIT_STATIC.parent / "index.html").read_text()
    context = browser.new_context(viewport={"width": 1366, "height": 1400})
    tab = context.new_page()
    fetched: set[str] = set()
    tab.on("request", lambda request: fetched.add(request.url.split("/", 3)[3]))
    tab.goto(served.worker_urls[0] + "/")
    slow_link.wait_for_map(tab)
    wait_until_idle(tab)
    slow_link.wait_for_charts(tab)
    context.close()
    needed = {
        path
        for path in fetched
        if path.startswith(("static/js/", "app/static/")) and f"./{path}" not in streamlits
    }
    assert hinted == needed


def test_only_streamlits_connection_check_sets_the_worker_cookie(served: Served) -> None:
    """The page and its favicon come from the sidecar and set no worker cookie: a browser's
    first is set by Streamlit's health check and host-config, which it awaits before opening
    the websocket, so the websocket and the requests after it go to one worker."""
    cookies = {}
    for path in ("/", "/favicon.png", "/_stcore/health", "/_stcore/host-config"):
        with urllib.request.urlopen(served.url + path) as response:
            cookies[path] = [
                c for c in response.headers.get_all("Set-Cookie") or [] if "PANTAU" in c
            ]
    assert cookies["/"] == cookies["/favicon.png"] == []
    assert len(cookies["/_stcore/health"]) == len(cookies["/_stcore/host-config"]) == 1


def test_refresh_service_version_reaches_every_worker(browser, served: Served) -> None:
    shown = {url: _registrants(browser, url) for url in served.worker_urls}
    assert len(set(shown.values())) == 1, shown
    store = served.data_dir / "store"
    old_version = (store / "CURRENT").read_text()
    generator.append_days(served.env["PRAKERJA_REPLICA_URL"], days=3)
    command = [sys.executable, "-m", "queries.refresh_service", "--once"]
    subprocess.run(command, cwd=ROOT, env=served.env, check=True, timeout=120)
    assert (store / "CURRENT").read_text() != old_version
    assert (store / old_version).exists(), "a worker still holds a lease on the old version"
    after = {url: _registrants(browser, url) for url in served.worker_urls}
    assert len(set(after.values())) == 1, after
    assert set(after.values()) != set(shown.values())


def _registrants(browser, url: str) -> str:
    """The national registrants KPI once the screen has settled (the same twice, 1 s apart)."""
    page, _ = _open(browser, f"{url}/")
    page.get_by_text("Angka utama: Indonesia").wait_for(timeout=60_000)
    value, previous = _first_kpi(page), None
    while value != previous:
        page.wait_for_timeout(1000)
        previous, value = value, _first_kpi(page)
    page.close()
    return value


def test_page_paths_come_from_the_sidecar_and_deep_links_open_their_page(
    browser, served: Served
) -> None:
    """Every page path of the app's registry (``/daerah-saya``, ``/bandingkan``…) is answered
    through the proxy by the static sidecar, like ``/``: with the same hints (but the national
    boundary file's) and no worker cookie. A deep link with its query parameters opens its page
    in Chromium, and Streamlit asks for its connection check once, at the root (not first
    under the page's path: two round trips before the websocket)."""
    hint = re.compile(r"<link rel=\"(?:module)?preload\"[^>]*>")
    with urllib.request.urlopen(served.url + "/") as response:
        root_hints = [h for h in hint.findall(response.read().decode()) if "/boundaries/" not in h]
    for path in page_paths():
        with urllib.request.urlopen(served.url + path + "?wilayah=32") as response:
            page = response.read().decode()
            assert response.headers["Server"] == "nginx", path
            assert response.headers["Cache-Control"] == "no-cache", path
            assert not [c for c in response.headers.get_all("Set-Cookie") or [] if "PANTAU" in c]
        assert hint.findall(page) == root_hints, path
    context = browser.new_context(viewport={"width": 1366, "height": 1000})
    tab = context.new_page()
    asked: list[str] = []
    tab.on("request", lambda request: asked.append(urlparse(request.url).path))
    tab.on("websocket", lambda socket: asked.append(urlparse(socket.url).path))
    response = tab.goto(served.url + "/daerah-saya?wilayah=321601")
    assert response is not None and response.headers["server"] == "nginx"
    tab.get_by_text("Angka Tarumajaya, Kabupaten Bekasi").first.wait_for(timeout=60_000)
    assert urlparse(tab.url).path == "/daerah-saya"
    assert re.search(r"wilayah=321601(&|$)", tab.url), tab.url
    context.close()
    assert not [path for path in asked if path.startswith("/daerah-saya/")], asked
    assert sorted(p for p in asked if "/_stcore/" in p) == [
        "/_stcore/health",
        "/_stcore/host-config",
        "/_stcore/stream",
    ], asked
