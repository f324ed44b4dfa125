"""Readable charts (issue #23, item 6): every word on a chart at least 4.5:1 on white, the "0"
tick on its gridline, one precision per measure. The charts are rendered to SVG by vl-convert
under the text colours of Streamlit's chart theme, which the browser lays under each spec."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
import vl_convert

from dashboard import charts, formatting
from dashboard.components import tables
from dashboard.exports.files import vega_spec

STREAMLIT_GREY = "#808495"
"""The text colour Streamlit's chart theme gives axis, legend and title text (3.7:1)."""
STREAMLIT_THEME = {
    part: {"labelColor": STREAMLIT_GREY, "titleColor": STREAMLIT_GREY, "labelFlush": True}
    for part in ("axis", "legend", "header")
} | {"title": {"color": STREAMLIT_GREY, "subtitleColor": STREAMLIT_GREY}}


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_on_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def _weeks() -> pd.DataFrame:
    start = date(2020, 4, 6)
    return pd.DataFrame(
        {
            "week_start": [pd.Timestamp(start + timedelta(weeks=i)) for i in range(8)],
            "registrants": [0, 120, 340, 560, 410, 380, 290, 150],
            "recipients": [0, 0, 40, 90, 120, 140, 160, 110],
        }
    )


CHARTS = {
    "weekly": lambda: charts.weekly_chart(_weeks(), ["registrants", "recipients"], "Tren mingguan"),
    "breakdown": lambda: charts.breakdown_chart(
        pd.DataFrame({"label": ["Perempuan", "Laki-laki"], "registrants": [120, 90]}),
        "registrants",
        "Jenis kelamin",
        10,
    ),
    "ranking": lambda: charts.ranking_chart(
        pd.DataFrame({"name": ["Jawa Barat", "Bali"], "value": [57.33, 41.2]}),
        "registrants_per_1000",
        "Peringkat",
        average=50.1,
    ),
    "panels": lambda: charts.small_multiples(
        _weeks().rename(columns={"registrants": "value"}).assign(region_name="Papua"),
        "registrants",
        "Tren per provinsi",
    ),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_text_is_readable_under_streamlits_theme(name: str) -> None:
    svg = vl_convert.vegalite_to_svg(vega_spec(CHARTS[name]()), config=STREAMLIT_THEME)
    texts = re.findall(r"<text[^>]*>[^<]+</text>", svg)
    assert len(texts) >= 5
    for text in texts:
        fill = re.search(r'fill="(#[0-9a-fA-F]{6})"', text)
        colour = fill.group(1) if fill else "#000000"  # SVG's default fill is black
        assert contrast_on_white(colour) >= 4.5, text


def test_zero_sits_on_its_gridline() -> None:
    """The y axis's "0" is centred on the bottom gridline (its baseline a little below it),
    not lifted above it as Streamlit's flush end labels did."""
    svg = vl_convert.vegalite_to_svg(vega_spec(CHARTS["weekly"]()), config=STREAMLIT_THEME)
    zero = re.search(r"<text[^>]*translate\(-?[\d.]+,([-\d.]+)\)[^>]*>0</text>", svg)
    grid = re.findall(r'<line transform="translate\(0,([\d.]+)\)" x2="\d+" y2="0"', svg)
    assert zero is not None and grid
    baseline, bottom = float(zero.group(1)), max(float(y) for y in grid)
    assert 0 < baseline - bottom <= charts.FONT_SIZES["label"] / 2


def test_one_precision_per_thousand_people() -> None:
    """57,33 per 1.000 on Bandingkan's table and Nasional's ranking alike."""
    assert formatting.rate_per_1000(57.3333) == "57,33"
    row = pd.Series(
        {"registrants": 57333, "recipients": 1, "completed": 1, "paid": 1, "paid_idr": 1}
    ).astype(object)
    row["population"] = 1_000_000
    table = tables.comparison_frame({"Jawa Barat": row}, per_capita=True)
    assert table.loc["Jawa Barat", "Pendaftar per 1.000 penduduk"] == "57,33"


def test_charts_side_by_side_have_titles_of_one_height() -> None:
    """Breakdowns sit two to a row: "Kanal pendaftaran — Kabupaten Bekasi" once wrapped while
    "Disabilitas — Kabupaten Bekasi" did not, and the plots sat out of line."""
    from dashboard.components import chart_view

    frame = pd.DataFrame({"label": ["A", "B"], "registrants": [120, 90]})
    heights = {
        chart_view._title_lines(charts.breakdown_chart(frame, "registrants", f"{title} — {where}"))
        for title in ("Kanal pendaftaran", "Disabilitas", "Platform pelatihan")
        for where in ("Kabupaten Bekasi", "Kota Tasikmalaya", "Indonesia")
    }
    assert heights == {2}  # the title's line and the region's
