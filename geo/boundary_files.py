"""The boundaries as static files the browser fetches once and keeps: content-hashed names.

The interactive map (``dashboard/components/region_map``) draws regions from these files and
receives only the per-region values on each rerun, so a view change costs the values, and
the geometry crosses the network once per browser. One file per view:

- ``province-<hash>.json``, ``regency-<hash>.json``: the whole country at national detail,
  coordinates rounded to ``NATIONAL_DECIMALS``;
- ``regency-<province>-<hash>.json``: a province's regencies at province detail
  (``FOCUS_DECIMALS``), plus the neighbouring regencies within ~1° marked ``"ctx": 1``;
- ``district-<regency>-<hash>.json`` and ``district-<province>-<hash>.json``: the kecamatan
  of a regency or a province (``FOCUS_DECIMALS``), plus the neighbouring *regencies* (not
  their kecamatan, which would weigh more than the view itself) within ``DISTRICT_CONTEXT``
  marked ``"ctx": 1``. A kecamatan without a polygon is not in the file; its label point is
  in :attr:`BoundaryFile.points` (with ``has_polygon`` False) for a symbol.

Compact GeoJSON (``code`` and ``name`` only), with ``.gz`` and ``.br`` beside each file for
nginx's ``gzip_static``/``brotli_static``. Names depend on content only, so every process
that builds a file from the same boundary cache gets the same name and a file is never
rewritten; a read-only directory is fine when the static build step already wrote them.
What a map spec needs besides the file (its name, bounds and label points) is recorded under
``records/`` beside the files, keyed by the boundary cache's version and this code's, so a
process whose files another process already built (``make serve`` writes them all before
its workers start) reads a small table instead of the geometry. No Streamlit here.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geo.boundaries import (
    AnyLevel,
    BoundaryError,
    Detail,
    boundaries_available,
    boundaries_or_none,
    cache_file,
    district_shapes,
)
from geo.regions import in_focus

NATIONAL_DECIMALS = 3
"""~110 m: far below a pixel at national zoom (18 % fewer bytes than 4 decimals)."""
FOCUS_DECIMALS = 4
"""~11 m: below a pixel at a province's zoom."""
CONTEXT_DEGREES = 1.0
DISTRICT_CONTEXT = {4: 0.1, 2: CONTEXT_DEGREES}
"""Context around a kecamatan view, by the focus code's length: ~11 km around a regency."""
INDONESIA_BOUNDS = [[-11.2, 94.8], [6.3, 141.1]]


@dataclass(frozen=True)
class BoundaryFile:
    """One written file and what a map spec needs from it without reading geometry again."""

    name: str
    bounds: list[list[float]]
    """[[south, west], [north, east]] of the regions drawn in colour (not the context)."""
    points: pd.DataFrame
    """code, name, province_code, lat, lon: label points of the regions drawn in colour
    (for kecamatan also regency_code and has_polygon, and those without a polygon too)."""


def boundary_file(
    directory: Path, level: AnyLevel, focus_province: str | None = None
) -> BoundaryFile | None:
    """The file for one view, written into ``directory`` unless it is there; None when the
    boundary cache is missing or unreadable (the map then falls back to label points).
    For ``level="district"``, ``focus_province`` is the regency's or province's code."""
    if not boundaries_available():
        return None
    detail: Detail = "province" if focus_province else "national"
    stat = cache_file(level, detail).stat()
    return _built(Path(directory), level, focus_province, stat.st_mtime_ns, stat.st_size)


def write_all(directory: Path) -> list[str]:
    """Every view's file (the static build step and ``make serve`` call this once), or
    nothing without boundaries. Returns the file names."""
    provinces = boundaries_or_none("province")
    regencies = boundaries_or_none("regency")
    if provinces is None or regencies is None:
        return []
    views: list[tuple[AnyLevel, str | None]] = [("province", None), ("regency", None)]
    views += [("regency", code) for code in sorted(provinces["code"])]
    views += [("district", code) for code in sorted(provinces["code"])]
    views += [("district", code) for code in sorted(regencies["code"])]
    built = [boundary_file(directory, level, focus) for level, focus in views]
    return [file.name for file in built if file is not None]


@cache
def _built(
    directory: Path, level: AnyLevel, focus: str | None, mtime_ns: int, size: int
) -> BoundaryFile | None:
    """Built once per process and boundary cache version, or read from its record when
    another process built it."""
    record = _record_path(directory, level, focus, mtime_ns, size)
    recorded = _read_record(directory, record)
    if recorded is not None:
        return recorded
    built = _build(directory, level, focus)
    if built is not None:
        _write_record(record, built)
    return built


def _build(directory: Path, level: AnyLevel, focus: str | None) -> BoundaryFile | None:
    if level == "district":
        views = _district_view(focus)
        if views is None:
            return None
        main, context, labels = views
    else:
        shapes = boundaries_or_none(level, "province" if focus else "national")
        if shapes is None:
            return None
        main, context = split_focus(shapes, focus)
        labels = main
    decimals = FOCUS_DECIMALS if focus else NATIONAL_DECIMALS
    features = _features(main, decimals) + _features(context, decimals, context=True)
    data = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    name = f"{_stem(level, focus)}-{hashlib.sha256(data).hexdigest()[:12]}.json"
    _write_once(directory / name, data)
    bounds = fit_bounds(labels) if focus else INDONESIA_BOUNDS
    points = pd.DataFrame(labels.drop(columns="geometry")).rename(
        columns={"label_lat": "lat", "label_lon": "lon"}
    )
    return BoundaryFile(name, bounds, points.reset_index(drop=True))


RECORD_KEY = b"prakerja.boundary_file"
BUILDERS = ("boundary_files.py", "boundaries.py")
CODE_VERSION = hashlib.sha256(
    b"".join((Path(__file__).parent / module).read_bytes() for module in BUILDERS)
).hexdigest()[:8]
"""Records are also keyed by the code that builds them, so a new release builds its own."""


def _stem(level: AnyLevel, focus: str | None) -> str:
    return f"{level}-{focus}" if focus else level


def _record_path(
    directory: Path, level: AnyLevel, focus: str | None, mtime_ns: int, size: int
) -> Path:
    name = f"{_stem(level, focus)}.{mtime_ns}-{size}-{CODE_VERSION}.parquet"
    return directory / "records" / name


def _read_record(directory: Path, record: Path) -> BoundaryFile | None:
    """The recorded view, or None when there is none, it is unreadable or its file is gone
    (then the caller builds it again)."""
    try:
        table = pq.read_table(record)
        meta = json.loads(table.schema.metadata[RECORD_KEY])
        name, bounds = str(meta["name"]), meta["bounds"]
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None
    if not (directory / name).exists():
        return None
    return BoundaryFile(name, bounds, table.to_pandas())


def _write_record(record: Path, built: BoundaryFile) -> None:
    """Renamed into place; skipped where the directory is read-only."""
    table = pa.Table.from_pandas(built.points, preserve_index=False)
    meta = json.dumps({"name": built.name, "bounds": built.bounds}).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), RECORD_KEY: meta})
    data = pa.BufferOutputStream()
    pq.write_table(table, data)
    with contextlib.suppress(OSError):
        _write_atomically(record, data.getvalue().to_pybytes())


def _district_view(
    focus: str | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """(kecamatan with a polygon, neighbouring regencies, every kecamatan of the view with
    its polygon or label point) for a regency (4 digits) or a province (2 digits)."""
    if focus is None or len(focus) not in DISTRICT_CONTEXT:
        raise ValueError(f"a kecamatan view needs a regency or province code, not {focus!r}")
    regencies = boundaries_or_none("regency", "province")
    if regencies is None:
        return None
    is_regency = len(focus) == 4
    try:
        labels = district_shapes(focus) if is_regency else district_shapes(province_code=focus)
    except BoundaryError:
        return None
    if labels.empty:
        raise ValueError(f"'focus' {focus!r} is not a known regency or province code")
    inside = regencies["code" if is_regency else "province_code"] == focus
    west, south, east, north = labels.total_bounds
    near = DISTRICT_CONTEXT[len(focus)]
    context = regencies[~inside].cx[west - near : east + near, south - near : north + near]
    return labels.loc[labels["has_polygon"]], context, labels


def fit_bounds(main: gpd.GeoDataFrame) -> list[list[float]]:
    """What the map fits: each region's largest part, so that far small islands (Jawa Timur's
    Masalembu and Kangean) do not halve the province on a phone. They are still drawn, a pan
    away; every region stays in view by its main part."""
    largest = [
        max(shape.geoms, key=lambda part: part.area) if hasattr(shape, "geoms") else shape
        for shape in main.geometry
    ]
    west, south, east, north = (float(v) for v in shapely.total_bounds(largest))
    return [[south, west], [north, east]]


def split_focus(
    shapes: gpd.GeoDataFrame, focus_province: str | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(regions to colour, faint neighbours within ~1° of the focus province, or of the focus
    regency for kecamatan)."""
    if not focus_province:
        return shapes, shapes.iloc[0:0]
    inside = in_focus(shapes["code"], focus_province)
    if not inside.any():
        raise ValueError(f"'focus_province' {focus_province!r} is not a known region code")
    main = shapes[inside]
    west, south, east, north = main.total_bounds
    near = CONTEXT_DEGREES
    return main, shapes[~inside].cx[west - near : east + near, south - near : north + near]


def _features(frame: gpd.GeoDataFrame, decimals: int, context: bool = False) -> list[dict]:
    rounded = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, decimals))
    extra = {"ctx": 1} if context else {}
    return [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, **extra},
            "geometry": json.loads(shapely.to_geojson(geometry)),
        }
        for code, name, geometry in zip(frame["code"], frame["name"], rounded, strict=True)
    ]


def _write_once(path: Path, data: bytes) -> None:
    """``path`` with ``.gz`` and ``.br`` beside it, each renamed into place (the content
    decides the name, so an existing file is already right)."""
    versions = {
        path: lambda: data,
        path.with_name(path.name + ".gz"): lambda: gzip.compress(data, compresslevel=9, mtime=0),
        path.with_name(path.name + ".br"): lambda: brotli.compress(data, quality=11),
    }
    for target, content in versions.items():
        if not target.exists():
            _write_atomically(target, content())


def _write_atomically(target: Path, data: bytes) -> None:
    """``data`` renamed into place, so no reader sees half a file; no temporary file left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
