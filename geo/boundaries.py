"""Province and regency boundary polygons: build a compact local cache, then load it.

The upstream files (see :mod:`geo.sources`) are about 18 MB of SQL with many invalid
geometries. ``fetch`` verifies, parses, repairs and simplifies them once into GeoParquet files
in the user's cache directory; the app only ever reads that cache. Nothing derived from the
boundary files is stored in this repository.
"""

from __future__ import annotations

import os
import tempfile
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
from geo.regions import provinces, regencies
from geo.sources import (
    SOURCE_COMMIT,
    Progress,
    downloaded_files,
    is_province_file,
    verified_local_files,
)

__all__ = [
    "BoundaryError",
    "boundaries_available",
    "build_cache",
    "cache_dir",
    "clear_boundary_cache",
    "fetch",
    "load_boundaries",
]

Level = Literal["province", "regency"]
Detail = Literal["national", "province"]
LEVELS: tuple[Level, ...] = ("province", "regency")
DETAILS: tuple[Detail, ...] = ("national", "province")
COLUMNS = ["code", "name", "province_code", "label_lat", "label_lon", "geometry"]
_KM2_PER_DEG2 = 111.32**2  # near the equator, good enough to pick islets to drop
KEPT_AREA_SHARE = 0.9
"""Every region keeps at least this share of its land area at every level of detail."""


@dataclass(frozen=True)
class Simplification:
    """How much detail one cache level keeps. Dropping islets first matters most: parts under
    0.1 km² hold almost half of all vertices but are invisible at national zoom."""

    min_part_km2: float
    tolerance_deg: float
    decimals: int


SIMPLIFICATION: dict[Detail, Simplification] = {
    "national": Simplification(min_part_km2=1.0, tolerance_deg=0.01, decimals=4),
    "province": Simplification(min_part_km2=0.05, tolerance_deg=0.001, decimals=5),
}


def cache_dir() -> Path:
    """``$PRAKERJA_CACHE_DIR`` if set, else the per-user cache directory."""
    configured = os.environ.get("PRAKERJA_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pantau-prakerja"))


def cache_file(level: Level, detail: Detail) -> Path:
    """The GeoParquet file for one level and detail, named after the pinned source commit."""
    return cache_dir() / f"boundaries-{SOURCE_COMMIT[:7]}-{level}-{detail}.parquet"


def boundaries_available() -> bool:
    """True when every cache file exists (their content is checked by ``load_boundaries``)."""
    return all(cache_file(level, detail).is_file() for level in LEVELS for detail in DETAILS)


def fetch(from_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Get the pinned files (download, or ``from_dir``), verify their hashes, build the cache.

    ``progress(done, total)`` is called after each file is verified and after each is parsed.
    Returns the cache directory. On any error the previous cache is left untouched.
    """
    if from_dir is not None:
        files = verified_local_files(Path(from_dir), _half(progress, 0))
    else:
        files = downloaded_files(cache_dir() / "wilayah_boundaries" / SOURCE_COMMIT, progress)
    return build_cache(files, _half(progress, len(files)))


def _half(progress: Progress | None, offset: int) -> Progress | None:
    """Report verification and parsing as two halves of one progress bar."""
    if progress is None:
        return None
    return lambda done, total: progress(offset + done, 2 * total)


def build_cache(files: Mapping[str, Path], progress: Progress | None = None) -> Path:
    """Parse already-verified upstream files and (re)write every cache file atomically.

    Everything is parsed and checked in memory before the first write, and each file is
    written to a temporary name and then renamed, so a failure leaves the old cache usable.
    """
    rows: dict[Level, list[BoundaryRow]] = {"province": [], "regency": []}
    for done, (name, path) in enumerate(sorted(files.items()), start=1):
        text = _read_text(path, name)
        rows["province" if is_province_file(name) else "regency"].extend(parse_sql(text, name))
        if progress:
            progress(done, len(files))
    frames = {level: _full_frame(level, rows[level]) for level in LEVELS}
    outputs: dict[tuple[Level, Detail], gpd.GeoDataFrame] = {}
    for detail in DETAILS:
        regency = simplified(frames["regency"], SIMPLIFICATION[detail])
        outputs["regency", detail] = regency
        outputs["province", detail] = simplified(
            frames["province"], SIMPLIFICATION[detail], also_keep=regency.geometry
        )
    _write_all(outputs)
    clear_boundary_cache()
    return cache_dir()


def _read_text(path: Path, name: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BoundaryError(f"Berkas {name} tidak dapat dibaca: {error}") from error


def _reference(level: Level) -> pd.DataFrame:
    if level == "province":
        return provinces().assign(province_code=lambda d: d["code"])
    return regencies()


def _full_frame(level: Level, rows: list[BoundaryRow]) -> gpd.GeoDataFrame:
    """One row per reference region; raises if codes are missing, extra or duplicated."""
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
    # Names from the reference table, so maps and tables spell regions the same way.
    frame = frame.merge(reference[["code", "name", "province_code", "lat", "lon"]], on="code")
    frame = _inside_label_points(frame)
    return frame.sort_values("code", ignore_index=True)[COLUMNS]


def _inside_label_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Label points that lie on their region: upstream's point when it does (it misses the
    land for 28 island regencies such as 7301 Kepulauan Selayar), else the reference table's,
    else a point shapely guarantees to be inside."""
    near = 0.01  # degrees, about 1 km (shapely directly: a planar check is fine at this scale)
    shapes = np.asarray(frame.geometry.array)
    upstream = shapely.points(frame["label_lon"].to_numpy(), frame["label_lat"].to_numpy())
    table = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    inside = shapely.point_on_surface(shapes)
    use_upstream = shapely.distance(shapes, upstream) <= near
    use_table = shapely.distance(shapes, table) <= near
    x, y = shapely.get_x(inside), shapely.get_y(inside)
    lon = np.where(use_upstream, frame["label_lon"], np.where(use_table, frame["lon"], x))
    lat = np.where(use_upstream, frame["label_lat"], np.where(use_table, frame["lat"], y))
    return frame.assign(label_lon=lon.astype(float), label_lat=lat.astype(float))


def _check_codes(level: Level, codes: list[str], expected: set[str]) -> None:
    label = "provinsi" if level == "province" else "kabupaten/kota"
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    missing, extra = sorted(expected - set(codes)), sorted(set(codes) - expected)
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


def simplified(
    frame: gpd.GeoDataFrame, how: Simplification, also_keep: gpd.GeoSeries | None = None
) -> gpd.GeoDataFrame:
    """A lighter copy of ``frame``: islets dropped, lines simplified, coordinates rounded.

    ``also_keep`` (the simplified regencies, when simplifying provinces) keeps every part of a
    province that a kept regency part lies on, so a province still contains its regencies."""
    anchors = None
    if also_keep is not None:
        parts = shapely.get_parts(np.asarray(also_keep.array))
        anchors = shapely.STRtree(shapely.point_on_surface(parts))
    geometries = [_simplify_one(g, how, anchors) for g in frame.geometry]
    empty = [code for code, g in zip(frame["code"], geometries, strict=True) if g.is_empty]
    if empty:
        raise BoundaryError(f"Geometri kosong setelah penyederhanaan: {', '.join(empty[:10])}")
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


def _simplify_one(
    geometry: BaseGeometry, how: Simplification, anchors: shapely.STRtree | None = None
) -> BaseGeometry:
    kept = _kept_parts(geometry, how, anchors)
    reduced = MultiPolygon(kept) if len(kept) > 1 else kept[0]
    reduced = shapely.simplify(reduced, how.tolerance_deg, preserve_topology=True)
    # set_precision snaps to the grid and returns a valid geometry (it may drop slivers);
    # np.round then makes each float print short (106.9709, not 106.97090000000001).
    snapped = shapely.set_precision(reduced, 10.0**-how.decimals)
    return polygonal_part(shapely.transform(snapped, lambda xy: np.round(xy, how.decimals)))


def _write_all(outputs: Mapping[tuple[Level, Detail], gpd.GeoDataFrame]) -> None:
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


def load_boundaries(level: Level, detail: Detail = "national") -> gpd.GeoDataFrame:
    """Boundaries from the cache: code, name, province_code, label_lat, label_lon, geometry
    (EPSG:4326), ordered by code. Raises :class:`BoundaryError` if missing or corrupt.

    Cached per process, keyed by the file's path and modification time, so a rebuilt cache is
    picked up; :func:`clear_boundary_cache` frees memory explicitly.
    """
    if level not in LEVELS or detail not in DETAILS:
        raise ValueError(f"'level' must be one of {LEVELS} and 'detail' one of {DETAILS}")
    path = cache_file(level, detail)
    if not path.is_file():
        raise BoundaryError(
            "Batas wilayah belum tersedia. Jalankan `python -m geo fetch` untuk membangunnya."
        )
    stat = path.stat()
    return _read_cache(str(path), stat.st_mtime_ns, stat.st_size, level).copy()


@cache
def _read_cache(path: str, _mtime_ns: int, _size: int, level: Level) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_parquet(path)
    except Exception as error:  # pyarrow raises several unrelated types for corrupt files
        raise BoundaryError(
            f"Cache batas wilayah rusak ({Path(path).name}). Bangun ulang dengan "
            "`python -m geo fetch`."
        ) from error
    expected = len(_reference(level))
    if list(frame.columns) != COLUMNS or len(frame) != expected or frame.crs is None:
        raise BoundaryError(
            f"Cache batas wilayah tidak lengkap ({Path(path).name}). Bangun ulang dengan "
            "`python -m geo fetch`."
        )
    return frame


def boundaries_or_none(level: Level, detail: Detail = "national") -> gpd.GeoDataFrame | None:
    """The cached boundaries, or None when they are missing or unreadable: map builders then
    fall back to symbols at label points instead of failing."""
    if not boundaries_available():
        return None
    try:
        return load_boundaries(level, detail)
    except BoundaryError:
        return None


def clear_boundary_cache() -> None:
    """Forget boundaries loaded in this process (called after ``fetch``)."""
    _read_cache.cache_clear()
