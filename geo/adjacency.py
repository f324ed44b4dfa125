"""Which regencies are neighbours: from shared borders when the boundary cache is there, else
from the nearest label points (regency capitals), saying which.

Outreach spills over into neighbouring regencies (same radio, same mobile desk), so the
outreach effect leaves them out of the comparison (``outreach.effect``).
"""

from __future__ import annotations

import functools

import numpy as np

from geo.boundaries import boundaries_available, boundaries_or_none
from geo.regions import regencies

NEAREST_POINTS = 6
"""Without boundaries: the regencies whose capitals are nearest (a regency has about five
regencies sharing its border; six keeps most true neighbours in)."""
TOUCH_DEGREES = 0.01
"""Simplified national boundaries leave slivers between borders: about 1 km of slack."""

Neighbours = dict[str, frozenset[str]]


def label_point_neighbours(k: int = NEAREST_POINTS) -> Neighbours:
    """Each regency's ``k`` nearest regencies by capital (great-circle-free: degrees with the
    longitude scaled by the latitude's cosine, fine at regency distances)."""
    table = regencies()
    lat, lon = table["lat"].to_numpy(float), table["lon"].to_numpy(float)
    x, y = np.radians(lon) * np.cos(np.radians(lat)), np.radians(lat)
    distance = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1)[:, :k]
    codes = table["code"].to_numpy()
    return {code: frozenset(codes[row]) for code, row in zip(codes, nearest, strict=True)}


@functools.cache
def _border_neighbours(_available: bool) -> Neighbours | None:
    """Keyed by whether the cache exists, so boundaries fetched later are picked up."""
    frame = boundaries_or_none("regency")
    if frame is None:
        return None
    codes = frame["code"].to_numpy()
    pairs = frame.sindex.query(frame.geometry, predicate="dwithin", distance=TOUCH_DEGREES)
    found: dict[str, set[str]] = {code: set() for code in codes}
    for left, right in zip(*pairs, strict=True):
        if left != right:
            found[codes[left]].add(codes[right])
            found[codes[right]].add(codes[left])
    return {code: frozenset(near) for code, near in found.items()}


@functools.cache
def _point_neighbours() -> Neighbours:
    return label_point_neighbours()


def neighbours() -> tuple[Neighbours, str]:
    """(regency → its neighbours, where they come from: ``"batas wilayah"`` or ``"titik
    ibu kota terdekat"``)."""
    borders = _border_neighbours(boundaries_available())
    if borders is not None:
        return borders, "batas wilayah"
    return _point_neighbours(), "titik ibu kota terdekat"
