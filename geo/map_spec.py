"""What the browser needs to draw one region map, without any geometry: the map spec.

The dashboard's map component (``dashboard/components/region_map``) gets a spec on every
rerun: per region code the formatted value and fill colour (choropleth, for rates) or a
circle at the label point (proportional symbols, for counts), the legend, the title, the
bounds to fit and the selected code, plus the URL of the static boundary file
(:mod:`geo.boundary_files`) it draws the regions from. Class breaks, colours, radii and
formatting are all decided here, in Python; the JavaScript only draws. The folium builders of
the offline report (:mod:`geo.maps`) share these pieces. No Streamlit and no folium here.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from geo.boundaries import AnyLevel
from geo.boundary_files import INDONESIA_BOUNDS, BoundaryFile
from geo.classify import (
    DEFAULT_THRESHOLD,
    EMPTY_LABEL,
    HIDDEN_COLOR,
    NO_DATA_LABEL,
    Scheme,
    fill_colour,
    hidden_label,
    legend_entries,
    map_classes,
    palette,
)
from geo.regions import districts, in_focus, provinces, regencies

Formatter = Callable[[float], str]
Kind = Literal["rate", "count"]
SELECTED_COLOR = "#d95f02"  # orange: distinct from the blue-green palette
SEA = "#f2f7fb"  # the map background: far lighter than the #bdbdbd of "Tidak ada data"
MAX_RADIUS_PX = {"national": 18.0, "focus": 28.0}
FALLBACK_NOTE = "Batas wilayah belum tersedia: ditampilkan sebagai titik."
EMPTY = EMPTY_LABEL[0].lower() + EMPTY_LABEL[1:]


def map_spec(
    values: pd.DataFrame,
    *,
    level: AnyLevel,
    kind: Kind,
    value_column: str,
    format_value: Formatter,
    legend_title: str,
    boundaries: BoundaryFile | None,
    boundary_url: str | None = None,
    selected_code: str | None = None,
    focus_province: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The JSON-ready spec of one view. ``boundaries`` None (no boundary cache): circles at
    the reference table's label points, whatever ``kind``; ``boundary_url`` is where the
    browser fetches ``boundaries.name``. ``focus_province`` limits the drawn regions to one
    province, or for kecamatan also to one regency (its code's prefix). Rows of ``values``
    with a true ``hidden`` column are hidden by small-cell suppression (``threshold``): drawn
    and named as such."""
    data = values_by_code(values, value_column)
    hidden = hidden_codes(values)
    points = boundaries.points if boundaries is not None else reference_points(level)
    if focus_province:
        points = points[in_focus(points["code"], focus_province)]
    spec: dict[str, Any] = {
        "title": f"Peta {legend_title}",
        "valueTitle": legend_title,
        "view": f"{level}:{focus_province or ''}",
        "boundaries": boundary_url if boundaries is not None else None,
        "selected": selected_code,
        "choropleth": kind == "rate" and boundaries is not None,
        "regions": {},
        "symbols": [],
    }
    if not hidden and not any(value > 0 for value in data.values()):
        data = {}  # nothing in the period: the tooltips say no data, not "0,00"
    labels = region_labels(data, hidden, format_value, threshold)
    if boundaries is not None:
        spec["bounds"] = boundaries.bounds
        spec["regions"] = {
            code: [labels.get(code, NO_DATA_LABEL), HIDDEN_COLOR if code in hidden else ""]
            for code in points["code"]
        }
    else:
        spec["bounds"] = bounds_of(points) if focus_province else INDONESIA_BOUNDS
    if spec["choropleth"]:
        fills, rows = region_fills(points["code"], data, format_value, hidden=hidden)
        for code, fill in fills.items():
            spec["regions"][code][1] = fill
    else:
        max_radius = MAX_RADIUS_PX["focus" if focus_province else "national"]
        shown, vmax = circle_radii(points, data, max_radius)
        spec["symbols"] = [
            [code, name, round(lat, 4), round(lon, 4), radius, labels[code]]
            for code, name, lat, lon, radius in shown[
                ["code", "name", "lat", "lon", "radius"]
            ].itertuples(index=False)
        ]
        if boundaries is None:  # no outlines to colour: a small hidden-coloured dot instead
            spec["symbols"] += hidden_symbols(points, hidden, labels)
        any_hidden = bool(hidden & set(points["code"]))
        rows = size_rows(vmax, max_radius, format_value, boundaries is None, any_hidden, threshold)
    spec["legend"] = legend_html(legend_title, rows)
    return spec


def hidden_codes(values: pd.DataFrame) -> frozenset[str]:
    """Codes whose figure is hidden by small-cell suppression: rows with a true ``hidden``
    column (``queries.suppression.hidden_figures``); none without that column."""
    if "hidden" not in values:
        return frozenset()
    return frozenset(values.loc[values["hidden"].astype(bool), "code"].astype(str))


def region_labels(
    data: Mapping[str, float], hidden: frozenset[str], format_value: Formatter, threshold: int
) -> dict[str, str]:
    """code → the tooltip's text: the formatted value, or "disembunyikan (<10)"."""
    labels = {code: format_value(value) for code, value in data.items()}
    return {**labels, **dict.fromkeys(hidden, hidden_label(threshold))}


def hidden_symbols(
    points: pd.DataFrame, hidden: frozenset[str], labels: Mapping[str, str]
) -> list[list]:
    """Small hidden-coloured dots at the label points of hidden regions (no boundaries)."""
    rows = points[points["code"].isin(hidden)]
    return [
        [code, name, round(lat, 4), round(lon, 4), 4.0, labels[code], HIDDEN_COLOR]
        for code, name, lat, lon in rows[["code", "name", "lat", "lon"]].itertuples(index=False)
    ]


def values_by_code(values: pd.DataFrame, value_column: str) -> dict[str, float]:
    """code → value, rows without a number dropped (and repeated codes summed)."""
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"'values' should be a pandas DataFrame, got {type(values).__name__}")
    missing = {"code", value_column} - set(values.columns)
    if missing:
        raise ValueError(f"'values' lacks column(s) {sorted(missing)}")
    numbers = pd.to_numeric(values[value_column], errors="coerce")
    series = pd.Series(numbers.to_numpy(), index=values["code"].astype(str)).dropna()
    return {code: float(v) for code, v in series.groupby(level=0).sum().items()}


def reference_points(level: AnyLevel) -> pd.DataFrame:
    """code, name, province_code, lat, lon from the reference table (no boundaries)."""
    if level == "province":
        return provinces().assign(province_code=lambda d: d["code"])
    return districts() if level == "district" else regencies()


def bounds_of(points: pd.DataFrame) -> list[list[float]]:
    if points.empty:
        return INDONESIA_BOUNDS
    west, east = float(points["lon"].min()), float(points["lon"].max())
    south, north = float(points["lat"].min()), float(points["lat"].max())
    return [[south, west], [north, east]]


def region_fills(
    codes: pd.Series,
    data: Mapping[str, float],
    format_value: Formatter,
    scheme: Scheme = "quantiles",
    k: int = 5,
    fixed_breaks: Sequence[float] | None = None,
    hidden: frozenset[str] = frozenset(),
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[dict[str, str], str]:
    """(code → fill colour, the legend's rows): classes over ``codes``' values, the hidden
    colour for ``hidden`` regions, grey for regions without data."""
    bins = map_classes(codes.map(data), scheme, k, fixed_breaks)
    colours = palette(len(bins))
    fills = {code: fill_colour(data.get(code), bins, colours, code in hidden) for code in codes}
    any_hidden = bool(hidden & set(codes))
    return fills, swatch_rows(legend_entries(bins, format_value, any_hidden, threshold))


def circle_radii(
    points: pd.DataFrame, data: Mapping[str, float], max_radius: float
) -> tuple[pd.DataFrame, float]:
    """(points with a positive value, largest first so small circles stay clickable, with
    ``value`` and ``radius`` in pixels, area proportional to the value; the largest value)."""
    values = points["code"].map(data)
    positive = values > 0  # a mask, not `query`, and only the columns the symbols use
    shown = points.loc[positive, ["code", "name", "lat", "lon"]].assign(value=values[positive])
    vmax = float(shown["value"].max()) if not shown.empty else 0.0
    shown = shown.sort_values("value", ascending=False)
    radius = (max_radius * (shown["value"] / vmax) ** 0.5) if vmax else shown["value"]
    return shown.assign(radius=radius.clip(lower=2.0).round(1)), vmax


_BOX = (
    "background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);"
    "font:12px/1.5 sans-serif;color:#222;max-width:220px"
)


def legend_html(title: str, rows: str) -> str:
    return f'<div style="{_BOX}"><b>{html.escape(title)}</b>{rows}</div>'


def swatch_rows(swatches: Sequence[tuple[str, str]]) -> str:
    box = "display:inline-block;width:14px;height:12px;margin-right:6px;border:1px solid #999"
    return "".join(
        f'<div><span style="{box};background:{colour}"></span>{html.escape(label)}</div>'
        for colour, label in swatches
    )


def size_rows(
    vmax: float,
    max_radius: float,
    format_value: Formatter,
    fallback: bool,
    any_hidden: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
) -> str:
    rows = []
    for share in (1.0, 0.25) if vmax > 0 else ():
        diameter = 2 * max_radius * share**0.5
        circle = (
            f"display:inline-block;width:{diameter:.0f}px;height:{diameter:.0f}px;"
            "border-radius:50%;background:rgba(44,127,184,.6);border:1px solid #253494;"
            "vertical-align:middle;margin-right:6px"
        )
        rows.append(
            f'<div><span style="{circle}"></span>{html.escape(format_value(vmax * share))}</div>'
        )
    if any_hidden:
        rows.append(swatch_rows([(HIDDEN_COLOR, hidden_label(threshold))]))
    rows.append(f"<div>Tanpa lingkaran: {NO_DATA_LABEL.lower() if vmax > 0 else EMPTY}</div>")
    if fallback:
        rows.append(f"<div><i>{FALLBACK_NOTE}</i></div>")
    return "".join(rows)
