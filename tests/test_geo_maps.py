"""Maps: the screens' map specs and static boundary files, the offline report's folium map
(offline assets, clickable features, legends, fallbacks; issues #3 and #9)."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import pandas as pd
import pytest

from geo.boundary_files import boundary_file
from geo.classify import NO_DATA_COLOR, classify, legend_labels, palette
from geo.map_spec import FALLBACK_NOTE, map_spec
from geo.maps import choropleth_map, remote_assets
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


def test_boundary_files_are_compact_hashed_and_precompressed(boundary_cache, tmp_path):
    national = boundary_file(tmp_path, "regency")
    focus = boundary_file(tmp_path, "regency", "32")
    assert national is not None and focus is not None
    assert re.fullmatch(r"regency-[0-9a-f]{12}\.json", national.name)
    assert re.fullmatch(r"regency-32-[0-9a-f]{12}\.json", focus.name)
    data = (tmp_path / national.name).read_bytes()
    assert gzip.decompress((tmp_path / f"{national.name}.gz").read_bytes()) == data
    assert brotli.decompress((tmp_path / f"{national.name}.br").read_bytes()) == data
    assert len((tmp_path / f"{national.name}.br").read_bytes()) <= 200_000  # the switch budget
    features = json.loads(data)["features"]
    assert len(features) == 514 and set(features[0]["properties"]) == {"code", "name"}
    assert not re.search(r"\.\d{4}", data.decode())  # 3 decimals, ~110 m
    local = json.loads((tmp_path / focus.name).read_bytes())["features"]
    main = [f["properties"]["code"] for f in local if "ctx" not in f["properties"]]
    assert len(main) == 27 and all(code.startswith("32") for code in main)
    assert any(not f["properties"]["code"].startswith("32") for f in local)  # neighbours
    (south, west), (north, east) = focus.bounds
    assert 105 < west < east < 109 and -8 < south < north < -5  # Jawa Barat
    before = {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    again = boundary_file(tmp_path, "regency", "32")
    assert again is not None and again.name == focus.name
    assert {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()} == before


@pytest.mark.parametrize(("level", "focus"), [("regency", "32"), ("district", "3216")])
def test_a_second_process_reads_the_record_not_the_geometry(
    boundary_cache, tmp_path, monkeypatch, level, focus
):
    """A worker whose files ``make serve`` already built gets the same name, bounds and
    label points from the record; a corrupt record is built again and rewritten."""
    from geo import boundary_files

    first = boundary_file(tmp_path, level, focus)
    assert first is not None
    (record,) = (tmp_path / "records").glob(f"{level}-{focus}.*.parquet")
    boundary_files._built.cache_clear()  # what a fresh process starts with
    with monkeypatch.context() as patched:
        patched.setattr(boundary_files, "_build", lambda *_: pytest.fail("built again"))
        again = boundary_file(tmp_path, level, focus)
    assert again is not None and (again.name, again.bounds) == (first.name, first.bounds)
    pd.testing.assert_frame_equal(again.points, first.points)
    record.write_bytes(b"not parquet")
    boundary_files._built.cache_clear()
    rebuilt = boundary_file(tmp_path, level, focus)
    assert rebuilt is not None and rebuilt.name == first.name
    pd.testing.assert_frame_equal(rebuilt.points, first.points)
    assert record.read_bytes().startswith(b"PAR1")


def test_spec_colours_regions_by_class(boundary_cache, tmp_path):
    values = regency_values()
    shapes = boundary_file(tmp_path, "regency")
    assert shapes is not None
    spec = map_spec(
        values, level="regency", kind="rate", value_column="peserta", format_value=fmt,
        legend_title="Peserta (ribu)", boundaries=shapes, boundary_url=f"/b/{shapes.name}",
    )  # fmt: skip
    assert spec["boundaries"] == f"/b/{shapes.name}" and spec["symbols"] == []
    regions = spec["regions"]
    assert len(regions) == 514
    assert regions["1101"] == ["Tidak ada data", NO_DATA_COLOR]  # Aceh: named, greyed
    largest = values.loc[values["peserta"].idxmax()]
    assert regions[largest["code"]] == [fmt(largest["peserta"]), palette(5)[-1]]
    assert "Peserta (ribu)" in spec["legend"] and "Tidak ada data" in spec["legend"]
    assert len(json.dumps(spec)) <= 40_000  # the values, not the geometry


def test_spec_symbols_at_province_level(boundary_cache, tmp_path):
    prov = provinces()
    values = pd.DataFrame({"code": prov["code"], "n": prov["population"]})
    spec = map_spec(
        values, level="province", kind="count", value_column="n", format_value=fmt,
        legend_title="Penduduk", boundaries=boundary_file(tmp_path, "province"),
        boundary_url="/b/p.json", selected_code="32",
    )  # fmt: skip
    assert len(spec["regions"]) == 38 and all(fill == "" for _l, fill in spec["regions"].values())
    radii = [symbol[4] for symbol in spec["symbols"]]
    assert len(radii) == 38 and radii == sorted(radii, reverse=True) and radii[0] == 18.0
    assert spec["selected"] == "32" and FALLBACK_NOTE not in spec["legend"]


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
    spec = map_spec(
        regency_values(), level="regency", kind="rate", value_column="peserta",
        format_value=fmt, legend_title="Peserta (ribu)", boundaries=None, focus_province="32",
    )  # fmt: skip
    assert spec["boundaries"] is None and spec["regions"] == {}
    assert len(spec["symbols"]) == 27 and FALLBACK_NOTE in spec["legend"]


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


def test_values_need_code_and_value_columns(boundary_cache):
    with pytest.raises(ValueError, match="lacks column"):
        map_spec(pd.DataFrame({"kode": []}), level="regency", kind="count", value_column="n",
                 format_value=fmt, legend_title="n", boundaries=None)  # fmt: skip
