"""The weekly trend on Nasional as a user meets it in Chromium: the plot has the height the
chart asks for (a legend above it once squashed the lines onto the "0" label), and its XLSX
download is titled with what it holds, the weekly counts, not the map's measure."""

from __future__ import annotations

import io

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

TREND_TITLE = "Tren mingguan — Indonesia"
PLOT_PX = 300
"""The plot height ``charts.weekly_chart`` asks for."""
GEOMETRY_JS = """(title) => {
  const svg = document.querySelector(`.vega-embed[aria-label="${title}"] svg`);
  const box = (el) => el.getBoundingClientRect();
  const zero = Array.from(svg.querySelectorAll('g.role-axis-label text'))
    .find(t => t.textContent === '0' && t.getAttribute('text-anchor') === 'end');
  return {
    plot: box(svg.querySelector('g.role-frame.root path.background')).height,
    zeroLabelBottom: box(zero).bottom,
    lowestLine: Math.max(...Array.from(svg.querySelectorAll('g.mark-line path'))
      .map(p => box(p).bottom)),
  };
}"""


@pytest.fixture(scope="module")
def nasional(browser, app_url: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(f"{app_url}/")
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=90_000)
    wait_until_idle(page)
    page.locator(f'.vega-embed[aria-label="{TREND_TITLE}"] svg').wait_for(timeout=30_000)
    yield page
    page.close()


def test_weekly_trend_is_drawn_at_its_height_with_no_line_below_zero(nasional) -> None:
    geometry = nasional.evaluate(GEOMETRY_JS, TREND_TITLE)
    assert geometry["plot"] >= 0.9 * PLOT_PX, geometry
    assert geometry["lowestLine"] <= geometry["zeroLabelBottom"], geometry


def test_weekly_trend_xlsx_is_titled_with_the_weekly_counts(nasional) -> None:
    from openpyxl import load_workbook
    from openpyxl.worksheet.worksheet import Worksheet

    with nasional.expect_download(timeout=60_000) as download:
        nasional.locator(".st-key-unduh_tren-mingguan_xlsx button").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert isinstance(sheet, Worksheet)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == TREND_TITLE
    assert not any("per 1.000" in str(row[0]) for row in rows[:8])  # the map's measure
    header = next(row for row in rows if row[0] == "Awal minggu")
    assert header[1:5] == (
        "Pendaftar",
        "Penerima",
        "Selesai pelatihan pertama",
        "Menerima insentif",
    )
