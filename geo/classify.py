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
EMPTY_LABEL = "Tidak ada data pada periode dan filter ini"
"""The legend's only class when no region has a value above zero (e.g. a period before the
programme opened): one class "≤ 0,00" would look like a finding."""
HIDDEN_COLOR = "#c994c7"
"""Regions whose figure is hidden by small-cell suppression: data exists but is fewer than the
threshold. A purple outside the yellow-green-blue palette and unlike the grey of no data."""
DEFAULT_THRESHOLD = 10
"""Counts below it are hidden (small-cell protection, :mod:`queries.suppression`); kept here,
below the query layer, so that legends, tooltips and the protection say the same number."""


def hidden_label(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The words for a hidden region in every legend, tooltip and ranking: data exists, but
    fewer than ``threshold`` people (``disembunyikan (<10)``)."""
    return f"disembunyikan (<{threshold})"


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


def map_classes(
    values: pd.Series,
    scheme: Scheme = "quantiles",
    k: int = 5,
    fixed_breaks: Sequence[float] | None = None,
) -> list[float]:
    """The classes of a map: :func:`classify`, or none when no region has a value above zero,
    so such a map reads "no data in this period" instead of one class of zeros."""
    numbers = pd.to_numeric(values, errors="coerce")
    if not (numbers > 0).any():
        return []
    return classify(numbers, scheme, k, fixed_breaks)


def fill_colour(
    value: float | None, bins: Sequence[float], colours: Sequence[str], hidden: bool = False
) -> str:
    """One region's fill on every map: hidden, its class, or no data."""
    if hidden:
        return HIDDEN_COLOR
    index = class_index(value, bins)
    return NO_DATA_COLOR if index is None else colours[index]


def legend_entries(
    bins: Sequence[float],
    format_value: Callable[[float], str],
    any_hidden: bool,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[tuple[str, str]]:
    """(colour, label) per legend row of a choropleth, the same on every map: the classes, the
    hidden regions when there are any, and no data (or, without classes, "no data in this
    period")."""
    rows = list(zip(palette(len(bins)), legend_labels(bins, format_value), strict=True))
    if any_hidden:
        rows.append((HIDDEN_COLOR, hidden_label(threshold)))
    rows.append((NO_DATA_COLOR, NO_DATA_LABEL if bins or any_hidden else EMPTY_LABEL))
    return rows


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
