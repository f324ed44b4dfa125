"""How far a layer of regions is from a coverage: the area where neighbours overlap.

A choropleth over overlapping polygons paints the same ground twice (the later region wins),
and a click there picks either region. The cache is built so that no level overlaps
(:func:`geo.boundaries.covered`, :func:`geo.boundaries.simplified`); this measures it, for the
tests and for ``python -m geo check``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

EQUAL_AREA = "EPSG:6933"
"""World Cylindrical Equal Area: areas in m² anywhere in Indonesia."""


def overlaps(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per pair of regions whose interiors overlap: ``a``, ``b`` (codes), ``km2``
    (the overlap) and ``share`` (of the smaller region's area), largest share first."""
    shapes = np.asarray(frame.to_crs(EQUAL_AREA).geometry.array)
    first, second = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pair = first < second
    first, second = first[pair], second[pair]
    area = shapely.area(shapely.intersection(shapes[first], shapes[second]))
    smaller = np.minimum(shapely.area(shapes[first]), shapely.area(shapes[second]))
    codes = frame["code"].to_numpy()
    found = pd.DataFrame(
        {
            "a": codes[first],
            "b": codes[second],
            "km2": area / 1e6,
            "share": np.divide(area, smaller, out=np.zeros_like(area), where=smaller > 0),
        }
    )
    found = found.loc[found["km2"] > 0]
    return found.sort_values("share", ascending=False, ignore_index=True)


def overlap_share(frame: gpd.GeoDataFrame) -> float:
    """The overlapping area as a share of the area the layer covers (0.0045 = 0.45 %)."""
    covered_km2 = shapely.area(shapely.union_all(frame.to_crs(EQUAL_AREA).geometry.array)) / 1e6
    return float(overlaps(frame)["km2"].sum() / covered_km2)
