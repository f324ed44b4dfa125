"""Real browser: start the app, open every screen in headless Chromium (no internet), change a
filter, click a province on the map, and check that the URL and the numbers change.
Screenshots go to artifacts/ for a person to look at."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import ARTIFACTS_DIR as ARTIFACTS
from geo_fixtures import CHROMIUM

from dashboard.metric_options import BY_KEY
from geo.map_spec import region_fills, values_by_code
from geo.regions import provinces
from queries.filters import Filters
from queries.suppression import ProtectedFigures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _open(browser, url: str, width: int = 1366, height: int = 768):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector(
        '[data-testid="stMetricValue"], [data-testid="stMarkdown"]', timeout=60_000
    )
    wait_until_idle(page)
    page.wait_for_timeout(1500)
    return page, errors


def _first_kpi(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def _wait_for_map(page):
    frame = page.frame_locator('iframe[title^="Peta "]').first  # a regency's kecamatan map follows
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    return frame


SCREENS = {
    "nasional": "",
    "bandingkan": "bandingkan",
    "daerah-saya": "daerah-saya",
    "tentang-data": "tentang-data",
    "agenda": "agenda",
}
FULL_HEIGHT = 3600
"""Streamlit scrolls inside its own container, so a tall viewport shows the whole screen."""


@pytest.mark.parametrize("screen", SCREENS)
def test_each_screen_renders(browser, app_url: str, screen: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for height, suffix in ((768, "projector"), (FULL_HEIGHT, "full")):
        page, errors = _open(browser, f"{app_url}/{SCREENS[screen]}", height=height)
        page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=30_000)
        if screen in ("nasional", "daerah-saya"):
            _wait_for_map(page)
        page.wait_for_timeout(1500)
        page.screenshot(path=ARTIFACTS / f"screen-{screen}-{suffix}.png")
        assert not page.get_by_text("Page not found").count()
        assert not page.locator('[data-testid="stException"]').count()
        assert not errors, errors
        page.close()


def test_filter_and_map_click_change_url_and_numbers(browser, app_url: str) -> None:
    page, _ = _open(browser, f"{app_url}/", height=1400)
    before = _first_kpi(page)
    page.get_by_label("Jenis kelamin").first.click()
    page.get_by_role("option", name="Perempuan").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('jk=F')", timeout=30_000)
    wait_until_idle(page)
    page.wait_for_timeout(1500)
    after_filter = _first_kpi(page)
    assert after_filter != before

    frame = _wait_for_map(page)
    # 32 Jawa Barat: the centre of its box is on land (31 DKI Jakarta's, with the Seribu
    # islands, is in the sea)
    frame.locator("path.leaflet-interactive").nth(11).click(force=True)
    page.wait_for_function("() => /wilayah=\\d{2}/.test(window.location.search)", timeout=30_000)
    page.wait_for_timeout(2500)
    assert re.search(r"wilayah=\d{2}(&|$)", page.url)
    assert _first_kpi(page) != after_filter
    _wait_for_map(page)
    page.screenshot(path=ARTIFACTS / "screen-nasional-drilldown.png")
    page.close()


def test_map_draws_the_stores_figures_in_their_classes(browser, app_url, sqlite_replica) -> None:
    """Every province is drawn as a named button with the store's (protected) rate and the
    colour of its class, as Python classified them."""
    option = BY_KEY["registrants_per_1000"]
    figures = ProtectedFigures.direct(sqlite_replica.store())
    values = figures.region_metrics(Filters(date(2020, 4, 11), date(2020, 9, 3)), "province")
    data = values_by_code(values, option.key)
    names = dict(zip(provinces()["code"], provinces()["name"], strict=True))
    fills, _legend = region_fills(pd.Series(sorted(names)), data, option.format)
    page, errors = _open(browser, f"{app_url}/?tingkat=provinsi&metrik={option.url_name}")
    frame = _wait_for_map(page)
    drawn = frame.locator("path[data-code]").evaluate_all(
        "paths => paths.map(p => [p.dataset.code, p.getAttribute('fill'), p.ariaLabel])"
    )
    expected = [
        [
            code,
            fills[code],
            f"{names[code]}: {option.format(data[code]) if code in data else 'Tidak ada data'}",
        ]
        for code in sorted(names)
    ]
    assert sorted(drawn) == expected
    assert len(set(fills.values())) >= 4  # the classes differ: a real test of the colours
    assert not errors, errors
    page.close()


def test_phone_layout(browser, app_url: str) -> None:
    page, errors = _open(browser, f"{app_url}/daerah-saya?wilayah=3216", width=390, height=844)
    _wait_for_map(page)
    page.screenshot(path=ARTIFACTS / "screen-phone-daerah-saya.png", full_page=False)
    assert not errors
    page.close()


def test_agenda_note_with_html_is_saved_and_never_runs(browser, app_url: str) -> None:
    page, errors = _open(browser, f"{app_url}/agenda", width=390, height=844)
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_label("Unit penyelenggara").fill("Disnakertrans Bogor")
    page.get_by_label("Catatan singkat", exact=False).fill(
        "<script>alert('x')</script><img src=x onerror=alert('y')><b>tebal</b>"
    )
    page.get_by_role("button", name="Simpan").click()
    page.get_by_text("Kegiatan disimpan.").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / "screen-phone-agenda-saved.png")
    assert not dialogs, dialogs
    assert not page.locator("b", has_text="tebal").count()
    assert not errors, errors
    page.close()
