"""One coherent app, in Chromium (issue 23): choices that stay from page to page through the
sidebar links, every word in Bahasa (also Streamlit's own), and a phone that is usable.
Screenshots go to artifacts/ for a person to look at."""

from __future__ import annotations

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import ARTIFACTS_DIR as ARTIFACTS
from geo_fixtures import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

SIZES = {"projector": (1366, 768), "phone": (390, 844)}


def _open(browser, url: str, size: str):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    return page


def _settle(page) -> None:
    page.wait_for_timeout(500)
    wait_until_idle(page)
    page.wait_for_timeout(500)


def _sidebar(page):
    """The sidebar, opened first on a phone (where it starts collapsed)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(600)
    return sidebar


def _go(page, link: str) -> None:
    """Open another page the way a user does: its link in the sidebar."""
    _sidebar(page).get_by_role("link", name=link).click()
    page.get_by_role("heading", name=link).first.wait_for(timeout=60_000)
    _settle(page)


def _pick(page, label: str, option: str, where=None, multi: bool = False) -> None:
    (where or page).get_by_label(label, exact=True).first.click()
    page.keyboard.type(option[:12])  # long lists draw only the options in view
    page.get_by_role("option", name=option).first.click()
    if multi:  # closes the list; in a single-choice box Escape would empty the box
        page.keyboard.press("Escape")
    _settle(page)


def _chosen(page, label: str) -> str:
    """What a selectbox shows as chosen."""
    return page.get_by_role("combobox", name=label).first.input_value()


def _widget(page, testid: str, label: str) -> str:
    """The text of one widget (its label and what is chosen)."""
    return page.locator(f'[data-testid="{testid}"]', has_text=label).first.inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_choices_stay_through_the_sidebar_links(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/daerah-saya?dari=2020-07-01&sampai=2020-08-31", size)
    _pick(page, "Kabupaten/kota", "Kabupaten Bekasi (32.16)")
    sidebar = _sidebar(page)
    _pick(page, "Jenis kelamin", "Perempuan", sidebar, multi=True)
    _pick(page, "Disabilitas", "Penyandang disabilitas", _sidebar(page))
    chosen = ("wilayah=3216", "dari=2020-07-01", "sampai=2020-08-31", "jk=F", "disabilitas=ya")
    assert all(part in page.url for part in chosen), page.url

    _go(page, "Agenda sosialisasi")
    assert "Jawa Barat" in _chosen(page, "Provinsi")
    assert "Kabupaten Bekasi" in _chosen(page, "Kabupaten/kota")

    _go(page, "Daerah Saya")
    assert all(part in page.url for part in chosen), page.url  # the URL still shares them
    assert "Kabupaten Bekasi" in _chosen(page, "Kabupaten/kota")
    sidebar = _sidebar(page)
    assert "Perempuan" in _widget(sidebar, "stMultiSelect", "Jenis kelamin")
    assert "Penyandang disabilitas" in _chosen(sidebar, "Disabilitas")
    period = _widget(sidebar, "stSlider", "Periode")
    assert "1 Jul 2020" in period and "31 Agu 2020" in period, period
    page.screenshot(path=ARTIFACTS / f"choices-stay-daerah-saya-{size}.png")

    _go(page, "Nasional")  # shows the regency's province
    assert page.get_by_role("heading", name="Angka utama: Jawa Barat").count()
    _go(page, "Daerah Saya")
    assert "wilayah=3216" in page.url, page.url
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_wave_chosen_on_nasional_stays_on_bandingkan(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/", size)
    _pick(page, "Gelombang", "Gelombang 3", _sidebar(page), multi=True)
    assert "gelombang=3" in page.url, page.url
    _go(page, "Bandingkan Provinsi")
    assert "gelombang=3" in page.url, page.url
    assert "Gelombang 3" in _widget(_sidebar(page), "stMultiSelect", "Gelombang")
    page.screenshot(path=ARTIFACTS / f"choices-stay-bandingkan-{size}.png")
    page.close()


def test_a_shared_link_wins_over_remembered_choices(browser, app_url: str) -> None:
    page = _open(browser, f"{app_url}/daerah-saya?wilayah=3216&jk=F", "projector")
    _go(page, "Nasional")
    page.goto(f"{app_url}/daerah-saya?wilayah=3301")
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=60_000)
    _settle(page)
    assert "Kabupaten Cilacap" in _chosen(page, "Kabupaten/kota")
    assert "jk=" not in page.url
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_agenda_form_keeps_the_regency_after_saving(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/agenda", size)
    _pick(page, "Kabupaten/kota", "Kabupaten Bekasi (32.16)")
    page.get_by_label("Unit penyelenggara").fill("Disnaker Kabupaten Bekasi")
    page.get_by_role("button", name="Simpan").click()
    page.get_by_text("Kegiatan disimpan.").wait_for(timeout=30_000)
    _settle(page)
    assert _chosen(page, "Kabupaten/kota") == "Kabupaten Bekasi (32.16)"
    assert page.get_by_text(
        "Anda menulis tanpa login (dasbor terbuka), dengan akses nasional."
    ).count()
    page.close()
