"""Class breaks, colours and legend labels shared by the interactive and static maps.

Kept apart from :mod:`geo.maps` so a matplotlib export can colour regions exactly like the
Leaflet map without importing folium.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

Scheme = Literal["quantiles", "fisher_jenks", "fixed"]
SCHEMES: tuple[Scheme, ...] = ("quantiles", "fisher_jenks", "fixed")

# ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey), by number of classes.
PALETTES: dict[int, list[str]] = {
    2: ["#a1dab4", "#2c7fb8"],
    3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
    4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
    5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    6: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
    7: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
}
NO_DATA_COLOR = "#bdbdbd"
NO_DATA_LABEL = "Tidak ada data"


def classify(
    values: pd.Series,
    scheme: Scheme = "quantiles",
    k: int = 5,
    fixed_breaks: Sequence[float] | None = None,
) -> list[float]:
    """Upper bounds of each class (ascending; the last is the maximum). Missing values are
    ignored; fewer distinct values than ``k`` give fewer classes. Empty input gives ``[]``."""
    if scheme not in SCHEMES:
        raise ValueError(f"'scheme' must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "fixed" and not fixed_breaks:
        raise ValueError("'fixed_breaks' is required when scheme='fixed'")
    if not 2 <= k <= max(PALETTES):
        raise ValueError(f"'k' must be between 2 and {max(PALETTES)}, got {k}")
    data = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if data.size == 0:
        return []
    if scheme == "fixed":
        bins = sorted(float(b) for b in fixed_breaks or [])
        return bins if bins[-1] >= data.max() else [*bins, float(data.max())]
    distinct = np.unique(data)
    if distinct.size <= k:
        return [float(v) for v in distinct]
    import mapclassify

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when ties merge classes
        if scheme == "quantiles":
            bins = mapclassify.Quantiles(data, k=k).bins
        else:
            bins = mapclassify.FisherJenks(data, k=k).bins
    return sorted({float(b) for b in bins})


def class_index(value: float | None, bins: Sequence[float]) -> int | None:
    """The class of one value (0-based), or None for missing data."""
    if value is None or pd.isna(value) or not bins:
        return None
    return min(int(np.searchsorted(bins, value, side="left")), len(bins) - 1)


def palette(n_classes: int) -> list[str]:
    """``n_classes`` colours from light to dark."""
    if n_classes <= 1:
        return [PALETTES[2][-1]][:n_classes]
    return PALETTES[min(n_classes, max(PALETTES))]


def legend_labels(bins: Sequence[float], format_value: Callable[[float], str]) -> list[str]:
    """Bahasa Indonesia labels, one per class: ``≤ 10``, ``10 – 20``, …"""
    labels = []
    for index, upper in enumerate(bins):
        if index == 0:
            labels.append(f"≤ {format_value(upper)}")
        else:
            labels.append(f"{format_value(bins[index - 1])} – {format_value(upper)}")
    return labels
