"""Rendered maps in headless Chromium, fully offline: Leaflet loads and polygons are drawn.

Screenshots go to ``artifacts/`` (gitignored) for a human to look at.
"""

from __future__ import annotations

import pandas as pd
import pytest
from geo_fixtures import ARTIFACTS_DIR, CHROMIUM, STATIC_DIR

from geo.maps import choropleth_map
from geo.regions import regencies

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
]


def _values() -> pd.DataFrame:
    frame = regencies().query("province_code != '11'")
    return pd.DataFrame({"code": frame["code"], "peserta": frame["population"] / 1000})


@pytest.fixture(scope="module")
def page(browser):
    """A tab of the session's Chromium (tests/browser_fixtures.py): one Playwright per process."""
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    yield page
    page.close()


@pytest.mark.parametrize(
    ("name", "focus", "selected", "minimum"),
    [("peta_kabupaten_nasional", None, None, 500), ("peta_jawa_barat", "32", "3216", 27)],
)
def test_map_renders_polygons_offline(boundary_cache, page, name, focus, selected, minimum):
    m = choropleth_map(
        _values(),
        level="regency",
        value_column="peserta",
        format_value=lambda v: f"{v:,.0f}".replace(",", "."),
        legend_title="Peserta (ribu)",
        focus_province=focus,
        selected_code=selected,
        asset_base_url=STATIC_DIR.as_uri() + "/",
    )
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    html_path = ARTIFACTS_DIR / f"{name}.html"
    m.save(html_path)
    errors: list[str] = []
    remote: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: remote.append(r.url) if r.url.startswith("http") else None)
    page.goto(html_path.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() >= minimum
    assert page.locator(".pantau-legend").inner_text().count("Tidak ada data") == 1
    page.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"))
    assert errors == [] and remote == []
