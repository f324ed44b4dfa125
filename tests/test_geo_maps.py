"""Map builders: offline assets, clickable features, legends, fallbacks (issue #3)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from geo.classify import classify, legend_labels
from geo.maps import choropleth_map, clicked_code, remote_assets, symbol_map
from geo.regions import provinces, regencies
from geo.vintages import UNKNOWN, to_current


def fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def regency_values() -> pd.DataFrame:
    frame = regencies()
    # Leave Aceh (11xx) without data, to check the grey "Tidak ada data" class.
    with_data = frame[frame["province_code"] != "11"]
    return pd.DataFrame({"code": with_data["code"], "peserta": with_data["population"] / 1000})


def geojson_layers(html: str) -> list[dict]:
    """The FeatureCollections folium embeds in the page."""
    found = re.findall(r"^\s*geo_json_\w+_add\((\{.*\})\);$", html, re.MULTILINE)
    return [json.loads(text) for text in found]


def test_classify_schemes():
    values = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None], dtype=float)
    assert classify(values, "quantiles", k=5) == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    assert classify(values, "fixed", fixed_breaks=[5, 3]) == [3.0, 5.0, 10.0]
    assert len(classify(values, "fisher_jenks", k=3)) == 3
    assert classify(pd.Series([], dtype=float)) == []
    assert legend_labels([10.0, 20.0], fmt) == ["≤ 10", "10 – 20"]
    with pytest.raises(ValueError, match="fixed_breaks"):
        classify(values, "fixed")


def test_choropleth_national_is_offline_light_and_clickable(boundary_cache):
    m = choropleth_map(
        regency_values(),
        level="regency",
        value_column="peserta",
        format_value=fmt,
        legend_title="Peserta (ribu)",
        scheme="fisher_jenks",
    )
    html = m.get_root().render()
    assert remote_assets(html) == []
    assert '<script src="/app/static/leaflet/leaflet.js">' in html
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
    (layer,) = geojson_layers(html)
    assert len(json.dumps(layer)) <= 1_500_000
    properties = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    assert len(properties) == 514
    assert properties["3216"]["name"] == "Kabupaten Bekasi"
    assert properties["1101"]["label"] == "Tidak ada data"  # Aceh: named, greyed
    assert "Peserta (ribu)" in html and "Tidak ada data" in html


def test_choropleth_province_focus(boundary_cache):
    m = choropleth_map(
        regency_values(),
        level="regency",
        value_column="peserta",
        format_value=fmt,
        legend_title="Peserta (ribu)",
        focus_province="32",
        selected_code="3216",
    )
    html = m.get_root().render()
    codes = [[f["properties"]["code"] for f in layer["features"]] for layer in geojson_layers(html)]
    context, main, selected = codes
    assert len(main) == 27 and all(code.startswith("32") for code in main)
    assert context and not any(code.startswith("32") for code in context)
    assert selected == ["3216"]
    assert "animate: false" in html and "getBoundsZoom" in html  # fitted beside the legend


def test_symbol_map_at_province_level(boundary_cache):
    prov = provinces()
    values = pd.DataFrame({"code": prov["code"], "n": prov["population"]})
    html = (
        symbol_map(
            values, level="province", value_column="n", format_value=fmt, legend_title="Penduduk"
        )
        .get_root()
        .render()
    )
    outlines, circles = geojson_layers(html)
    assert len(outlines["features"]) == 38
    assert {f["geometry"]["type"] for f in circles["features"]} == {"Point"}
    assert remote_assets(html) == []


def test_maps_fall_back_to_points_without_boundaries(empty_cache):
    m = choropleth_map(
        regency_values(), level="regency", value_column="peserta", format_value=fmt,
        legend_title="Peserta (ribu)",
    )  # fmt: skip
    html = m.get_root().render()
    (circles,) = geojson_layers(html)
    assert len(circles["features"]) == len(regency_values())
    assert "Batas wilayah belum tersedia" in html
    assert remote_assets(html) == []


def test_vintage_mapping_moves_old_papua_codes(boundary_cache):
    raw = pd.DataFrame({"code": ["9101", "9204", "3216", "9301", "1199"], "n": [5, 7, 11, 2, 13]})
    current = raw.assign(code=to_current(raw["code"])).groupby("code", as_index=False)["n"].sum()
    assert dict(zip(current["code"], current["n"], strict=True)) == {
        "9301": 7, "9602": 7, "3216": 11, UNKNOWN: 13,
    }  # fmt: skip
    assert current["n"].sum() == raw["n"].sum()
    html = (
        choropleth_map(
            current, level="regency", value_column="n", format_value=fmt, legend_title="n"
        )
        .get_root()
        .render()
    )
    (layer,) = geojson_layers(html)
    labels = {f["properties"]["code"]: f["properties"]["label"] for f in layer["features"]}
    assert labels["9301"] == "7" and labels["9602"] == "7" and "9101" not in labels


def test_clicked_code_reads_st_folium_result():
    result = {"last_active_drawing": {"properties": {"code": "3216", "name": "Kabupaten Bekasi"}}}
    assert clicked_code(result) == "3216"
    assert clicked_code({"last_active_drawing": None}) is None
    assert clicked_code(None) is None


def test_values_need_code_and_value_columns(boundary_cache):
    with pytest.raises(ValueError, match="lacks column"):
        symbol_map(pd.DataFrame({"kode": []}), level="regency", value_column="n",
                   format_value=fmt, legend_title="n")  # fmt: skip
