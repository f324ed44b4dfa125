"""Issue #23 items 2, 3 and 6 as a user meets them in Chromium at 1366×768 and 390×844: on
Daerah Saya for women with a disability in Kabupaten Bekasi, hidden regencies are named as
such in the map's legend and tooltips, a breakdown with nothing to show says why, and every
word Vega draws on a chart is at least 4.5:1 on white."""

from __future__ import annotations

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import CHROMIUM
from test_chart_readability import contrast_on_white

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}
TALL = 6000
"""Streamlit scrolls inside its own container: a tall viewport lays out the whole screen."""
VIEW = "daerah-saya?jk=F&disabilitas=ya&wilayah=3216&metrik=penerima&bagian=rincian"
HIDDEN = "disembunyikan (<10)"
TEXT_FILLS_JS = """() => Array.from(document.querySelectorAll('.vega-embed svg text'))
  .filter(t => t.textContent.trim())
  .map(t => [t.textContent, getComputedStyle(t).fill])"""


def _hex(rgb: str) -> str:
    """``rgb(49, 51, 63)`` → ``#31333f``."""
    parts = [int(p) for p in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    return "#" + "".join(f"{p:02x}" for p in parts)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_hidden_empty_and_readable_on_daerah_saya(browser, app_url: str, viewport: str) -> None:
    width, _height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": TALL})
    try:
        page.goto(f"{app_url}/{VIEW}")
        page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        page.locator(".vega-embed svg").first.wait_for(timeout=30_000)
        frame = page.frame_locator("iframe[title^='Peta']").first
        legend = frame.locator(".pantau-legend")
        legend.get_by_text(HIDDEN).wait_for(timeout=30_000)
        hidden = frame.locator(f"path[role=button][aria-label$=': {HIDDEN}']")
        assert hidden.count() >= 5  # many of Jawa Barat's regencies, each named as hidden
        assert frame.locator("path[role=button][aria-label$=': Tidak ada data']").count() == 0
        alert = page.locator('[data-testid="stAlert"]', has_text="disembunyikan untuk melindungi")
        assert alert.count() >= 1  # e.g. Mitra pembayaran: says why instead of a blank chart
        fills = page.evaluate(TEXT_FILLS_JS)
        assert len(fills) > 10  # the breakdowns' axes, labels and figures
        for text, fill in fills:
            assert contrast_on_white(_hex(fill)) >= 4.5, (text, fill)
    finally:
        page.close()
