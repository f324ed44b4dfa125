"""The kecamatan level in Chromium (issue 20): Kabupaten Bekasi's kecamatan map draws its 23
kecamatan and a click opens one; a kecamatan's URL opens it directly and keeps it; Jawa Barat
can be drawn at kecamatan level. Screenshots go to artifacts/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import ARTIFACTS_DIR as ARTIFACTS
from geo_fixtures import CHROMIUM
from playwright.sync_api import expect

from geo.boundaries import district_shapes
from geo.regions import districts_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
KECAMATAN_MAP = 'iframe[title="Peta Bagian dari pendaftar kabupaten/kota"]'


def _open(browser, url: str, width: int = 1366, height: int = 768):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=90_000)
    wait_until_idle(page)
    return page, errors


def _drawn_codes(page) -> list[str]:
    frame = page.frame_locator(KECAMATAN_MAP)
    frame.locator("path[data-code]").first.wait_for(timeout=90_000)
    return frame.locator("path[data-code]").evaluate_all("ps => ps.map(p => p.dataset.code)")


def test_bekasi_draws_its_23_kecamatan_and_a_click_opens_one(
    browser, app_url: str, boundary_cache
) -> None:
    page, errors = _open(browser, f"{app_url}/daerah-saya?wilayah=3216")
    drawn = _drawn_codes(page)
    with_polygon = district_shapes(regency_code="3216").query("has_polygon")["code"]
    assert len(districts_of("3216")) == 23
    assert sorted(drawn) == sorted(with_polygon) and len(drawn) == 23
    page.locator(KECAMATAN_MAP).scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "screen-daerah-saya-kecamatan-bekasi.png")
    page.frame_locator(KECAMATAN_MAP).locator('path[data-code="321601"]').click(force=True)
    page.wait_for_function("() => /wilayah=321601/.test(window.location.search)", timeout=60_000)
    page.get_by_text("Angka Tarumajaya, Kabupaten Bekasi").first.wait_for(timeout=60_000)
    assert not page.locator('[data-testid="stException"]').count()
    assert errors == []
    page.close()


def test_a_kecamatan_link_opens_the_kecamatan_and_keeps_it(browser, app_url: str) -> None:
    page, errors = _open(
        browser, f"{app_url}/daerah-saya?wilayah=32.16.01&bagian=rincian", 390, 844
    )
    page.get_by_text("Angka Tarumajaya, Kabupaten Bekasi").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert re.search(r"wilayah=321601(&|$)", page.url)
    # The side-by-side figures: the kecamatan, its regency, the province and the nation. Found
    # by its nation row, not by position: a rerun started by the map frames may still be
    # replacing the elements above it.
    comparison = page.locator('[data-testid="stTable"]', has_text="Indonesia").first
    expect(comparison).to_contain_text("Tarumajaya, Kabupaten Bekasi", timeout=30_000)
    rows = comparison.locator("tbody tr").all_inner_texts()
    assert [row.split("\t")[0].strip() for row in rows][:3] == [
        "Tarumajaya, Kabupaten Bekasi",
        "Kabupaten Bekasi",
        "Jawa Barat",
    ]
    assert "Platform pelatihan dan mitra pembayaran tidak dirinci per kecamatan." in (
        page.inner_text("body")
    )
    page.screenshot(path=ARTIFACTS / "screen-phone-daerah-saya-kecamatan.png", full_page=False)
    assert not page.locator('[data-testid="stException"]').count()
    assert errors == []
    page.close()


def test_jawa_barat_at_kecamatan_level(browser, app_url: str, boundary_cache) -> None:
    page, errors = _open(browser, f"{app_url}/daerah-saya?wilayah=32&tingkat=kecamatan")
    drawn = _drawn_codes(page)
    expected = district_shapes(province_code="32").query("has_polygon")["code"]
    assert sorted(drawn) == sorted(expected) and len(drawn) >= 600
    assert errors == []
    page.close()
