"""Parse the MySQL dump files of ``cahyadsn/wilayah_boundaries`` into shapely geometries.

The files are ``INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES`` statements with
one row per line. We parse them line by line with a strict pattern instead of running SQL, so a
truncated download or an edited row fails loudly instead of silently losing a region.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


class BoundaryError(Exception):
    """Boundary files or cache are unusable; ``str()`` is a message in Bahasa Indonesia."""


@dataclass(frozen=True)
class BoundaryRow:
    """One parsed row: canonical code (no dots: ``32``, ``3216``, ``321601``), name (SQL
    quotes undone: ``Ma''U`` is ``Ma'U``), label point and a valid geometry."""

    code: str
    name: str
    lat: float
    lng: float
    geometry: BaseGeometry


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_SEP = r"\s*,\s*"
_ROW = re.compile(
    rf"^\s*\(\s*'(?P<kode>\d{{2}}(?:\.\d{{2}}){{0,2}})'{_SEP}'(?P<nama>(?:[^'\\]|'')*)'{_SEP}"
    rf"(?P<lat>{_NUMBER}){_SEP}(?P<lng>{_NUMBER}){_SEP}'(?P<path>\[[^'\\]*\])'\s*\)"
    r"\s*(?P<end>[,;])\s*$"
)
_INSERT = "INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES"
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def parse_sql(text: str, source: str) -> list[BoundaryRow]:
    """All rows of one dump file; raises :class:`BoundaryError` on any unexpected line."""
    if text.count("/*") != text.count("*/"):
        raise BoundaryError(f"Berkas batas wilayah {source} terpotong (komentar tidak ditutup).")
    rows: list[BoundaryRow] = []
    open_statement = False
    for number, line in enumerate(_COMMENT.sub("", text).splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("--") or stripped.startswith("DELETE FROM"):
            continue
        if stripped == _INSERT:
            open_statement = True
            continue
        match = _ROW.match(line) if open_statement else None
        if match is None:
            raise BoundaryError(
                f"Baris tidak dikenali di {source} (baris ke-{number} setelah komentar): "
                f"{stripped[:60]!r}. Berkas rusak atau terpotong."
            )
        rows.append(_row_from_match(match, source))
        open_statement = match["end"] == ","
    if open_statement or not rows:
        raise BoundaryError(f"Berkas batas wilayah {source} terpotong atau kosong.")
    return rows


def _row_from_match(match: re.Match[str], source: str) -> BoundaryRow:
    code = match["kode"].replace(".", "")
    try:
        path = json.loads(match["path"])
        geometry = geometry_from_path(path)
    except (ValueError, TypeError, IndexError) as error:
        raise BoundaryError(
            f"Geometri wilayah {match['kode']} di {source} tidak dapat dibaca: {error}"
        ) from error
    lat, lng = float(match["lat"]), float(match["lng"])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise BoundaryError(f"Titik label wilayah {match['kode']} di {source} di luar jangkauan.")
    return BoundaryRow(code, match["nama"].replace("''", "'"), lat, lng, geometry)


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    return depth


def _ring(points: list[list[float]]) -> list[tuple[float, float]]:
    """``[lat, lng]`` pairs → ``(lng, lat)`` tuples (GeoJSON order), checked for range."""
    ring = [(float(lng), float(lat)) for lat, lng in points]
    if len(ring) < 3 or any(not (-90 <= y <= 90 and -180 <= x <= 180) for x, y in ring):
        raise ValueError("cincin poligon kurang dari 3 titik atau koordinat di luar jangkauan")
    return ring


def _polygon(rings: list[list[list[float]]]) -> Polygon:
    # Further rings are holes (enclaves such as a city inside its regency), not islands.
    shell, *holes = (_ring(ring) for ring in rings)
    return Polygon(shell, holes)


def geometry_from_path(path: list) -> BaseGeometry:
    """Build a valid Polygon/MultiPolygon from a ``path`` value (depth 3 or 4, ``[lat, lng]``)."""
    depth = _depth(path)
    if depth == 3:
        raw: BaseGeometry = _polygon(path)
    elif depth == 4:
        raw = MultiPolygon([_polygon(rings) for rings in path])
    else:
        raise ValueError(f"kedalaman path {depth}, seharusnya 3 atau 4")
    return polygonal_part(shapely.make_valid(raw, method="structure", keep_collapsed=False))


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """Keep only polygons: make_valid and set_precision can leave lines or points behind."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polygons = [p for part in parts for p in getattr(part, "geoms", [part])]
    return MultiPolygon(polygons) if polygons else Polygon()
