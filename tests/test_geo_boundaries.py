"""Boundary cache: completeness, validity, size, and failing safely on bad input (issue #3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from geo_fixtures import snapshot

from geo import boundaries
from geo.__main__ import main as geo_cli
from geo.boundaries import BoundaryError, build_cache, fetch, load_boundaries
from geo.parse import parse_sql
from geo.regions import provinces, regencies
from geo.sources import FILE_HASHES

KAB_32 = "db/kab/wilayah_boundaries_kab_32.sql"


@pytest.mark.parametrize("detail", ["national", "province"])
@pytest.mark.parametrize(("level", "count"), [("province", 38), ("regency", 514)])
def test_every_region_has_valid_polygonal_geometry(boundary_cache, level, count, detail):
    frame = load_boundaries(level, detail)
    assert len(frame) == count
    assert list(frame.columns[:3]) == ["code", "name", "province_code"]
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.is_valid.all()
    assert not frame.geometry.is_empty.any()
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_codes_match_reference_table_one_to_one(boundary_cache):
    regency = load_boundaries("regency")
    province = load_boundaries("province")
    assert regency["code"].tolist() == sorted(regencies()["code"])
    assert province["code"].tolist() == sorted(provinces()["code"])
    assert regency["code"].is_unique and province["code"].is_unique
    expected = dict(zip(regencies()["code"], regencies()["province_code"], strict=True))
    assert regency["province_code"].tolist() == [expected[c] for c in regency["code"]]
    assert load_boundaries("regency").loc[lambda d: d["code"] == "3216", "name"].item() == (
        "Kabupaten Bekasi"
    )


def test_regency_label_points_lie_in_their_province(boundary_cache):
    regency = load_boundaries("regency", "province")
    shapes = load_boundaries("province", "province").set_index("code").geometry
    points = shapely.points(regency["label_lon"].to_numpy(), regency["label_lat"].to_numpy())
    province_shapes = shapes.loc[regency["province_code"]].to_numpy()
    distance = shapely.distance(province_shapes, points)
    # Province polygons are drawn separately from regencies: allow about 5 km of slack.
    far = regency.loc[distance > 0.05, "code"].tolist()
    assert far == []


def test_national_geojson_is_light(boundary_cache, tmp_path):
    sizes = {}
    for level in ("regency", "province"):
        out = tmp_path / f"{level}.geojson"
        assert geo_cli(["export", "--level", level, "--out", str(out)]) == 0
        sizes[level] = out.stat().st_size
        features = json.loads(out.read_text())["features"]
        assert set(features[0]["properties"]) == {"code", "name", "province_code"}
    assert sizes["regency"] <= 1_500_000
    assert sizes["province"] <= 1_500_000


def test_cache_is_reused_and_cleared(boundary_cache):
    first = load_boundaries("province")
    first.loc[0, "name"] = "diubah"  # callers get a copy: the cached frame stays intact
    assert load_boundaries("province").loc[0, "name"] == "Aceh"
    assert boundaries.boundaries_available()


def test_tampered_file_is_rejected_and_cache_kept(source_copy, cache_copy):
    before = snapshot(cache_copy)
    path = source_copy / KAB_32
    path.write_text(path.read_text().replace("Kabupaten Bogor", "Kabupaten B0gor"))
    with pytest.raises(BoundaryError, match=r"Hash SHA-256 .* tidak cocok"):
        fetch(from_dir=source_copy)
    assert snapshot(cache_copy) == before


def test_truncated_file_is_rejected_and_cache_kept(source_copy, cache_copy):
    before = snapshot(cache_copy)
    path = source_copy / KAB_32
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(BoundaryError, match="tidak cocok"):
        fetch(from_dir=source_copy)
    # Past the hash check (e.g. a corrupted download cache), the parser catches it too.
    with pytest.raises(BoundaryError, match="terpotong"):
        build_cache(_files(source_copy))
    assert snapshot(cache_copy) == before


def test_malformed_row_is_rejected_and_cache_kept(source_copy, cache_copy):
    before = snapshot(cache_copy)
    path = source_copy / KAB_32
    path.write_text(path.read_text().replace("('32.16','Kabupaten Bekasi',", "('32.16',NULL,", 1))
    with pytest.raises(BoundaryError, match=r"Baris tidak dikenali .*kab_32"):
        build_cache(_files(source_copy))
    assert snapshot(cache_copy) == before
    assert load_boundaries("regency").shape[0] == 514


def test_missing_region_is_rejected(source_copy, cache_copy):
    path = source_copy / KAB_32
    lines = [line for line in path.read_text().splitlines() if "'32.10'" not in line]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BoundaryError, match="hilang: 3210"):
        build_cache(_files(source_copy))


def test_bad_geometry_json_is_rejected():
    row = "('32.01','Kabupaten Bogor',-6.5,106.7,'[[[-6.3,106.9],[-6.31]]]');"
    text = f"INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES\n\t{row}\n"
    with pytest.raises(BoundaryError, match=r"Geometri wilayah 32\.01"):
        parse_sql(text, "uji.sql")


def test_corrupt_cache_file_raises_boundary_error(cache_copy):
    target = boundaries.cache_file("regency", "national")
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(BoundaryError, match="rusak"):
        load_boundaries("regency")


def test_missing_cache_says_how_to_build(empty_cache):
    assert not boundaries.boundaries_available()
    with pytest.raises(BoundaryError, match="python -m geo fetch"):
        load_boundaries("province")


def test_cli_reports_boundary_errors_in_indonesian(source_copy, cache_copy, capsys):
    (source_copy / KAB_32).unlink()
    assert geo_cli(["fetch", "--from", str(source_copy)]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err
    out = source_copy / "tidak-ada" / "provinsi.geojson"
    assert geo_cli(["export", "--level", "province", "--out", str(out)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("Galat: berkas tidak dapat ditulis atau dibaca: ")


def _files(root: Path) -> dict[str, Path]:
    return {name: root / name for name in FILE_HASHES}
