"""The region reference table agrees with the boundary polygons: every label point lies on its
own region, every area is near its polygon's, and island regencies keep their islands at every
level of detail (and stay inside their province)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import boundaries, regions

EQUAL_AREA = "EPSG:6933"
NEAR_DEG = 0.01  # about 1 km: label points on a coast may sit just off a simplified shore


@pytest.fixture(scope="module")
def shapes(boundary_cache) -> dict[tuple[str, str], gpd.GeoDataFrame]:
    return {
        (level, detail): boundaries.load_boundaries(level, detail)
        for level in boundaries.LEVELS
        for detail in boundaries.DETAILS
    }


def _reference(level: str) -> pd.DataFrame:
    return regions.provinces() if level == "province" else regions.regencies()


@pytest.mark.parametrize("level", boundaries.LEVELS)
def test_every_reference_point_lies_in_its_own_polygon(shapes, level: str) -> None:
    frame = shapes[level, "province"].merge(_reference(level)[["code", "lat", "lon"]], on="code")
    points = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    distance = shapely.distance(frame.geometry.to_numpy(), points)
    off = frame.loc[distance > NEAR_DEG, ["code", "name"]]
    assert off.empty, off.to_string()


@pytest.mark.parametrize("level", boundaries.LEVELS)
def test_every_area_is_near_its_polygons_area(shapes, level: str) -> None:
    frame = shapes[level, "province"]
    polygon_km2 = frame.to_crs(EQUAL_AREA).area.to_numpy() / 1e6
    table = frame[["code", "name"]].merge(_reference(level)[["code", "area_km2"]], on="code")
    ratio = table["area_km2"].to_numpy(float) / polygon_km2
    off = table.assign(polygon_km2=polygon_km2.round(), ratio=ratio).loc[
        lambda d: ~d["ratio"].between(0.5, 2.0)  # NaN (a missing area) fails too
    ]
    assert off.empty, off.to_string()


def test_a_correction_must_match_the_published_value() -> None:
    raw = regions.read_vendored_csv("regencies.csv", ("id", "province_id"))
    raw.loc[raw["id"] == "7407", "longitude"] = 122.0  # a newer table, changed upstream
    with pytest.raises(regions.ReferenceCorrectionError, match="7407"):
        regions.corrected(raw, "regency")


def test_the_vendored_original_is_untouched() -> None:
    raw = regions.read_vendored_csv("regencies.csv", ("id", "province_id")).set_index("id")
    assert raw.loc["7407", "longitude"] == pytest.approx(23.5389007621827)
    assert regions.regencies().set_index("code").loc["7407", "lon"] == pytest.approx(123.5389)


@pytest.mark.parametrize("detail", boundaries.DETAILS)
def test_island_regencies_stay_whole_and_inside_their_province(shapes, detail: str) -> None:
    fine = shapes["regency", "province"].to_crs(EQUAL_AREA).area
    drawn = shapes["regency", detail]
    kept = drawn.to_crs(EQUAL_AREA).area / fine
    lost = drawn.loc[kept < 0.6, ["code", "name"]]
    assert lost.empty, lost.to_string()
    seribu = drawn.set_index("code").geometry["3101"]
    assert len(shapely.get_parts(seribu)) >= 10  # about a hundred islets, not one

    province = shapes["province", detail].set_index("code").geometry
    outside = [
        code
        for code, province_code, shape in drawn[["code", "province_code", "geometry"]].itertuples(
            index=False
        )
        if shape.intersection(province[province_code].buffer(NEAR_DEG)).area < 0.9 * shape.area
    ]
    assert not outside


def test_every_kecamatan_belongs_to_a_current_regency_and_bekasi_has_23() -> None:
    from geo.regions import districts, districts_of, regencies

    table = districts()
    assert len(table) == 7285 and table["code"].is_unique
    assert set(table["regency_code"]) == set(regencies()["code"])
    assert (table["code"].str[:4] == table["regency_code"]).all()
    bekasi = districts_of("3216")
    assert len(bekasi) == 23
    assert bekasi.loc[bekasi["code"] == "321601", "name"].item() == "Tarumajaya"
