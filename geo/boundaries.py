"""Province, regency and kecamatan boundary polygons: build a compact local cache, load it.

The upstream files (see :mod:`geo.sources`) are about 30 MB of SQL with many invalid
geometries, neighbours whose borders do not match and some that overlap. ``fetch`` verifies,
parses and repairs them, makes each level a clean coverage (no overlaps, shared edges) and
simplifies it as a coverage, once, into GeoParquet files in the user's cache directory; the app
only ever reads that cache. Nothing derived from the boundary files is stored in this
repository.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.parse import BoundaryError, BoundaryRow, parse_sql, polygonal_part
from geo.regions import districts, provinces, regencies
from geo.sources import (
    SOURCE_COMMIT,
    Progress,
    downloaded_files,
    upstream_kind,
    verified_local_files,
)

__all__ = [
    "BoundaryError",
    "boundaries_available",
    "build_cache",
    "cache_dir",
    "clear_boundary_cache",
    "district_shapes",
    "fetch",
    "load_boundaries",
]

Level = Literal["province", "regency"]
"""The levels of the national map (one file each for the whole country)."""
AnyLevel = Literal["province", "regency", "district"]
Detail = Literal["national", "province"]
LEVELS: tuple[Level, ...] = ("province", "regency")
ALL_LEVELS: tuple[AnyLevel, ...] = ("province", "regency", "district")
DETAILS: tuple[Detail, ...] = ("national", "province")
LEVEL_DETAILS: dict[AnyLevel, tuple[Detail, ...]] = {
    "province": DETAILS,
    "regency": DETAILS,
    "district": ("province",),  # kecamatan are drawn for one regency or province, never all
}
_KINDS: dict[str, AnyLevel] = {"prov": "province", "kab": "regency", "kec": "district"}
COLUMNS = ["code", "name", "province_code", "label_lat", "label_lon", "geometry"]
DISTRICT_COLUMNS = ["code", "name", "regency_code", *COLUMNS[2:]]
_KM2_PER_DEG2 = 111.32**2  # near the equator, good enough to pick islets to drop
KEPT_AREA_SHARE = 0.9
"""Every region keeps at least this share of its land area at every level of detail."""
GAP_WIDTH_DEG = 0.001
"""Slivers between neighbours narrower than ~110 m (borders drawn separately upstream) join the
neighbour with the longest shared border when a level is made a coverage."""
CACHE_FORMAT = "c2"
"""In the cache files' names: bumped when the cache's content changes for the same upstream
commit (c2: coverage simplification, kecamatan), so an older cache is rebuilt, not read."""


@dataclass(frozen=True)
class Simplification:
    """How much detail one cache level keeps. Dropping islets first matters most: parts under
    0.1 km² hold almost half of all vertices but are invisible at national zoom.
    ``tolerance_deg`` is Visvalingam-Whyatt's (``shapely.coverage_simplify``): about the
    square root of the largest triangle area removed. Nationally 0.015 (0.02 would keep the
    byte count of the old Douglas-Peucker 0.01, but shrinks Kota Sibolga, 11 km², by half)."""

    min_part_km2: float
    tolerance_deg: float
    decimals: int


SIMPLIFICATION: dict[Detail, Simplification] = {
    "national": Simplification(min_part_km2=1.0, tolerance_deg=0.015, decimals=4),
    "province": Simplification(min_part_km2=0.05, tolerance_deg=0.002, decimals=5),
}


def cache_dir() -> Path:
    """``$PRAKERJA_CACHE_DIR`` if set, else the per-user cache directory."""
    configured = os.environ.get("PRAKERJA_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pantau-prakerja"))


def cache_file(level: AnyLevel, detail: Detail) -> Path:
    """The GeoParquet file for one level and detail, named after the pinned source commit."""
    return cache_dir() / f"boundaries-{SOURCE_COMMIT[:7]}-{CACHE_FORMAT}-{level}-{detail}.parquet"


def boundaries_available() -> bool:
    """True when every cache file exists (their content is checked by ``load_boundaries``)."""
    return all(cache_file(level, detail).is_file() for level, detail in cache_keys())


def cache_keys() -> list[tuple[AnyLevel, Detail]]:
    """Every (level, detail) the cache holds."""
    return [(level, detail) for level, details in LEVEL_DETAILS.items() for detail in details]


def fetch(from_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Get the pinned files (download, or ``from_dir``), verify their hashes, build the cache.

    ``progress(done, total)`` is called after each file is verified or downloaded, after each
    is parsed and after each level is built (a third of the bar each). Returns the cache
    directory. On any error the previous cache is left untouched.
    """
    if from_dir is not None:
        files = verified_local_files(Path(from_dir), _third(progress, 0))
    else:
        raw_dir = cache_dir() / "wilayah_boundaries" / SOURCE_COMMIT
        files = downloaded_files(raw_dir, _third(progress, 0))
    return build_cache(files, _third(progress, 1))


def _third(progress: Progress | None, first: int) -> Progress | None:
    """One progress bar in thirds: getting the files (``first=0``, reports ``(done, n)``),
    then parsing and building (``first=1``, reports ``(done, 2n)``)."""
    if progress is None:
        return None
    span = 2 if first else 1
    return lambda done, total: progress(first * total // span + done, 3 * total // span)


def build_cache(files: Mapping[str, Path], progress: Progress | None = None) -> Path:
    """Parse already-verified upstream files and (re)write every cache file atomically;
    ``progress(done, 2 * len(files))``: parsing is the first half, cleaning levels the second.

    Everything is parsed and checked in memory before the first write, and each file is
    written to a temporary name and then renamed, so a failure leaves the old cache usable.
    """
    count = len(files)
    rows = parsed_rows(files, lambda done, _n: progress and progress(done, 2 * count))
    frames: dict[AnyLevel, gpd.GeoDataFrame] = {}
    for built, level in enumerate(ALL_LEVELS, start=1):
        frames[level] = covered(_full_frame(level, rows[level]))
        if progress:
            progress(count + built * count // len(ALL_LEVELS), 2 * count)
    outputs: dict[tuple[AnyLevel, Detail], gpd.GeoDataFrame] = {}
    for detail in DETAILS:
        regency = simplified(frames["regency"], SIMPLIFICATION[detail])
        outputs["regency", detail] = regency
        outputs["province", detail] = simplified(
            frames["province"], SIMPLIFICATION[detail], also_keep=regency.geometry
        )
    outputs["district", "province"] = simplified(frames["district"], SIMPLIFICATION["province"])
    _write_all(outputs)
    clear_boundary_cache()
    return cache_dir()


def parsed_rows(
    files: Mapping[str, Path], progress: Progress | None = None
) -> dict[AnyLevel, list[BoundaryRow]]:
    """Every row of the upstream files, by level."""
    rows: dict[AnyLevel, list[BoundaryRow]] = {level: [] for level in ALL_LEVELS}
    for done, (name, path) in enumerate(sorted(files.items()), start=1):
        rows[_KINDS[upstream_kind(name)]].extend(parse_sql(_read_text(path, name), name))
        if progress:
            progress(done, len(files))
    return rows


def _read_text(path: Path, name: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BoundaryError(f"Berkas {name} tidak dapat dibaca: {error}") from error


def _reference(level: AnyLevel) -> pd.DataFrame:
    if level == "province":
        return provinces().assign(province_code=lambda d: d["code"])
    return regencies() if level == "regency" else districts()


def columns(level: AnyLevel) -> list[str]:
    """The cache's columns: kecamatan also carry their ``regency_code``."""
    return DISTRICT_COLUMNS if level == "district" else COLUMNS


def _full_frame(level: AnyLevel, rows: list[BoundaryRow]) -> gpd.GeoDataFrame:
    """One row per reference region; raises if codes are extra or duplicated, and if missing
    for provinces and regencies. A kecamatan without a polygon upstream gets an empty
    geometry (and its reference label point): tables still list it."""
    codes = [row.code for row in rows]
    reference = _reference(level)
    _check_codes(level, codes, set(reference["code"]))
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "label_lat": [row.lat for row in rows],
            "label_lon": [row.lng for row in rows],
        },
        geometry=[row.geometry for row in rows],
        crs="EPSG:4326",
    )
    # Names from the reference table, so maps and tables spell regions the same way (for
    # kecamatan too: upstream's `nama` has typos such as "SSinembah Tanjung Muda Hulu").
    keep = [c for c in (*columns(level), "lat", "lon") if c in reference.columns]
    frame = reference[keep].merge(frame, on="code", how="left")
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    frame["geometry"] = frame.geometry.fillna(Polygon())
    frame = _inside_label_points(frame)
    return frame.sort_values("code", ignore_index=True)[columns(level)]


def _inside_label_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Label points that lie on their region: upstream's point when it does (it misses the
    land for 28 island regencies such as 7301 Kepulauan Selayar), else the reference table's,
    else a point shapely guarantees to be inside."""
    near = 0.01  # degrees, about 1 km (shapely directly: a planar check is fine at this scale)
    shapes = np.asarray(frame.geometry.array)
    upstream = shapely.points(frame["label_lon"].to_numpy(), frame["label_lat"].to_numpy())
    table = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    empty = shapely.is_empty(shapes)  # a kecamatan without a polygon: the table's point
    inside = np.where(empty, table, shapely.point_on_surface(shapes))
    use_upstream = shapely.distance(shapes, upstream) <= near
    use_table = (shapely.distance(shapes, table) <= near) | empty
    x, y = shapely.get_x(inside), shapely.get_y(inside)
    lon = np.where(use_upstream, frame["label_lon"], np.where(use_table, frame["lon"], x))
    lat = np.where(use_upstream, frame["label_lat"], np.where(use_table, frame["lat"], y))
    return frame.assign(label_lon=lon.astype(float), label_lat=lat.astype(float))


_LABELS: dict[AnyLevel, str] = {
    "province": "provinsi",
    "regency": "kabupaten/kota",
    "district": "kecamatan",
}


def code_differences(codes: list[str], expected: set[str]) -> tuple[list[str], list[str]]:
    """(reference codes without a boundary row, boundary codes not in the reference)."""
    return sorted(expected - set(codes)), sorted(set(codes) - expected)


def _check_codes(level: AnyLevel, codes: list[str], expected: set[str]) -> None:
    label = _LABELS[level]
    duplicates = sorted(code for code, times in Counter(codes).items() if times > 1)
    missing, extra = code_differences(codes, expected)
    if level == "district":
        missing = []  # a kecamatan without a polygon is kept, drawn as a symbol
    problems = [
        f"{title}: {', '.join(items[:10])}"
        for title, items in (("ganda", duplicates), ("hilang", missing), ("tak dikenal", extra))
        if items
    ]
    if problems:
        raise BoundaryError(
            f"Kode {label} di berkas batas wilayah tidak cocok dengan tabel referensi ("
            + "; ".join(problems)
            + ")."
        )


def covered(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` made a clean coverage, so that simplifying it cannot open gaps or overlaps.

    Upstream draws each region on its own: neighbours' borders do not match and some overlap
    (Kabupaten Sorong 96.01 covers 5,009 km² of Kabupaten Tambrauw 96.04; about 0.35 % of the
    regency level's area in all, 0.53 % among kecamatan). ``shapely.coverage_clean`` nodes
    shared borders so neighbours share their vertices, gives each overlap to the **smaller**
    of the regions (``min_area``) and each sliver gap under ``GAP_WIDTH_DEG`` to the neighbour
    with the longest shared border. The smaller region keeps an overlap because the overlaps
    are a larger region's coarse outline running over a smaller one drawn in more detail: a
    city inside its kabupaten (Kota Padang Panjang in Tanah Datar) or, for Sorong and
    Tambrauw, the six distrik that UU 14/2013 moved from Sorong to Tambrauw, whose upstream
    kecamatan polygons (960401 Fef, 960405 Sausapor, …) cover 4,992 of the 5,009 km²; Sorong
    then measures 7,376 km², near the reference table's 7,565 km² (12,783 km² before)."""
    shapes = np.asarray(frame.geometry.array, dtype=object)
    present = ~shapely.is_empty(shapes)
    # types-shapely 2.1 predates shapely 2.2's coverage_clean.
    shapes[present] = shapely.coverage_clean(  # type: ignore[attr-defined]
        shapes[present], gap_width=GAP_WIDTH_DEG, merge_strategy="min_area"
    )
    return frame.set_geometry(gpd.GeoSeries(shapes, index=frame.index, crs=frame.crs))


def simplified(
    frame: gpd.GeoDataFrame, how: Simplification, also_keep: gpd.GeoSeries | None = None
) -> gpd.GeoDataFrame:
    """A lighter copy of ``frame`` (a coverage: see :func:`covered`): islets dropped, edges
    simplified as a coverage, coordinates rounded.

    ``shapely.coverage_simplify`` simplifies each shared edge once for both neighbours, so
    the result has no overlap and no gap that the input did not have (simplifying each
    region alone made the regency level overlap on 0.45 % of its area). ``also_keep`` (the
    simplified regencies, when simplifying provinces) keeps every part of a province that a
    kept regency part lies on, so a province still contains its regencies. Raises if a region
    that had a polygon loses it."""
    anchors = None
    if also_keep is not None:
        parts = shapely.get_parts(np.asarray(also_keep.array))
        anchors = shapely.STRtree(shapely.point_on_surface(parts))
    shapes = np.array([_without_islets(g, how, anchors) for g in frame.geometry], dtype=object)
    present = ~shapely.is_empty(shapes)
    shapes[present] = shapely.coverage_simplify(shapes[present], how.tolerance_deg)
    geometries = [_on_grid(g, how.decimals) for g in shapes]
    lost = [
        code
        for code, before, after in zip(frame["code"], frame.geometry, geometries, strict=True)
        if after.is_empty and not before.is_empty
    ]
    if lost:
        raise BoundaryError(f"Geometri kosong setelah penyederhanaan: {', '.join(lost[:10])}")
    return frame.set_geometry(gpd.GeoSeries(geometries, index=frame.index, crs=frame.crs))


def _kept_parts(
    geometry: BaseGeometry, how: Simplification, anchors: shapely.STRtree | None = None
) -> list[Polygon]:
    """The parts worth drawing: every part of at least ``min_part_km2``, and then the largest
    smaller ones until the region keeps ``KEPT_AREA_SHARE`` of its area. A region made only of
    islets (31.01 Kepulauan Seribu: about a hundred islands under 1 km²) thus keeps its
    islands instead of a single one. With ``anchors``, parts that contain one are kept too."""
    parts = sorted(getattr(geometry, "geoms", [geometry]), key=lambda p: p.area, reverse=True)
    min_area = how.min_part_km2 / _KM2_PER_DEG2
    total = sum(p.area for p in parts)
    kept, area = [], 0.0
    for part in parts:
        anchored = anchors is not None and len(anchors.query(part, predicate="contains")) > 0
        if part.area >= min_area or area < KEPT_AREA_SHARE * total or anchored:
            kept.append(part)
            area += part.area
    return kept


def _without_islets(
    geometry: BaseGeometry, how: Simplification, anchors: shapely.STRtree | None = None
) -> BaseGeometry:
    if geometry.is_empty:
        return geometry
    kept = _kept_parts(geometry, how, anchors)
    return MultiPolygon(kept) if len(kept) > 1 else kept[0]


def _on_grid(geometry: BaseGeometry, decimals: int) -> BaseGeometry:
    """Snapped to a grid of ``decimals``: shared vertices snap alike, so neighbours still
    share their edges. set_precision returns a valid geometry (it may drop slivers); np.round
    then makes each float print short (106.9709, not 106.97090000000001)."""
    snapped = shapely.set_precision(geometry, 10.0**-decimals)
    return polygonal_part(shapely.transform(snapped, lambda xy: np.round(xy, decimals)))


def _write_all(outputs: Mapping[tuple[AnyLevel, Detail], gpd.GeoDataFrame]) -> None:
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for (level, detail), frame in outputs.items():
            handle, temp_name = tempfile.mkstemp(dir=target, suffix=".parquet.tmp")
            os.close(handle)
            staged.append((Path(temp_name), cache_file(level, detail)))
            frame.to_parquet(temp_name, index=False)
        for temp, final in staged:
            os.replace(temp, final)
    finally:
        for temp, _final in staged:
            temp.unlink(missing_ok=True)


def load_boundaries(level: AnyLevel, detail: Detail = "national") -> gpd.GeoDataFrame:
    """Boundaries from the cache: code, name, (``regency_code`` for kecamatan,)
    province_code, label_lat, label_lon, geometry (EPSG:4326), ordered by code. Kecamatan
    exist at province detail only, and one without a polygon has an empty geometry (see
    :func:`district_shapes`). Raises :class:`BoundaryError` if missing or corrupt.

    Cached per process, keyed by the file's path and modification time, so a rebuilt cache is
    picked up; :func:`clear_boundary_cache` frees memory explicitly.
    """
    if detail not in LEVEL_DETAILS.get(level, ()):
        raise ValueError(f"no boundary cache for level {level!r} at detail {detail!r}")
    path = cache_file(level, detail)
    if not path.is_file():
        raise BoundaryError(
            "Batas wilayah belum tersedia. Jalankan `python -m geo fetch` untuk membangunnya."
        )
    stat = path.stat()
    return _read_cache(str(path), stat.st_mtime_ns, stat.st_size, level).copy()


@cache
def _read_cache(path: str, _mtime_ns: int, _size: int, level: AnyLevel) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_parquet(path)
    except Exception as error:  # pyarrow raises several unrelated types for corrupt files
        raise BoundaryError(
            f"Cache batas wilayah rusak ({Path(path).name}). Bangun ulang dengan "
            "`python -m geo fetch`."
        ) from error
    expected = len(_reference(level))
    if list(frame.columns) != columns(level) or len(frame) != expected or frame.crs is None:
        raise BoundaryError(
            f"Cache batas wilayah tidak lengkap ({Path(path).name}). Bangun ulang dengan "
            "`python -m geo fetch`."
        )
    return frame


def boundaries_or_none(level: AnyLevel, detail: Detail = "national") -> gpd.GeoDataFrame | None:
    """The cached boundaries, or None when they are missing or unreadable: map builders then
    fall back to symbols at label points instead of failing."""
    if not boundaries_available():
        return None
    try:
        return load_boundaries(level, detail)
    except BoundaryError:
        return None


def district_shapes(
    regency_code: str | None = None, province_code: str | None = None
) -> gpd.GeoDataFrame:
    """Every kecamatan of the reference in a regency, a province or (neither) the country:
    code, name, regency_code, province_code, label_lat, label_lon, geometry, has_polygon.

    A kecamatan whose polygon is missing or empty upstream (or lost in simplification) is
    still there for tables and symbol maps: its geometry is its label point (the reference
    table's) and ``has_polygon`` is False. Raises :class:`BoundaryError` without a cache."""
    frame = load_boundaries("district", "province")
    if regency_code is not None:
        frame = frame.loc[frame["regency_code"] == regency_code]
    if province_code is not None:
        frame = frame.loc[frame["province_code"] == province_code]
    has_polygon = ~frame.geometry.is_empty
    points = gpd.points_from_xy(frame["label_lon"], frame["label_lat"], crs=frame.crs)
    geometry = frame.geometry.where(has_polygon, gpd.GeoSeries(points, index=frame.index))
    return frame.set_geometry(geometry).assign(has_polygon=has_polygon).reset_index(drop=True)


def clear_boundary_cache() -> None:
    """Forget boundaries loaded in this process (called after ``fetch``)."""
    _read_cache.cache_clear()
