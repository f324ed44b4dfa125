"""Interactive region maps (folium/Leaflet) built from a DataFrame keyed by region ``code``.

No Streamlit here: builders return a ``folium.Map``; pages render it with ``st_folium``.
Every GeoJSON feature carries ``code`` and ``name`` properties so a click can be read back
with :func:`clicked_code`. Without boundary files the maps fall back to proportional circles at
the reference table's label points, so the dashboard still works on a fresh install.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from geo.boundaries import Level, boundaries_or_none
from geo.classify import (
    NO_DATA_COLOR,
    NO_DATA_LABEL,
    Scheme,
    class_index,
    classify,
    legend_labels,
    palette,
)
from geo.offline import DEFAULT_ASSET_BASE, remote_assets, use_local_assets
from geo.regions import provinces, regencies

__all__ = [
    "DEFAULT_ASSET_BASE",
    "choropleth_map",
    "classify",
    "clicked_code",
    "remote_assets",
    "symbol_map",
    "use_local_assets",
]

Formatter = Callable[[float], str]
INDONESIA_BOUNDS = [[-11.2, 94.8], [6.3, 141.1]]
SELECTED_COLOR = "#d95f02"  # orange: distinct from the blue-green palette
SEA = "#f2f7fb"  # the map background: far lighter than the #bdbdbd of "Tidak ada data"
MAX_RADIUS_PX = {"national": 18.0, "focus": 28.0}
NATIONAL_DECIMALS = 3
"""~110 m: far below a pixel at national zoom, and 18 % fewer bytes than the cache's 4
decimals for the regency map sent on every switch (docs/PERFORMANCE.md)."""


def choropleth_map(
    values: pd.DataFrame,
    *,
    level: Level,
    value_column: str,
    format_value: Formatter,
    legend_title: str,
    scheme: Scheme = "quantiles",
    k: int = 5,
    fixed_breaks: Sequence[float] | None = None,
    selected_code: str | None = None,
    focus_province: str | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    asset_base_url: str = DEFAULT_ASSET_BASE,
) -> folium.Map:
    """Regions coloured by class of ``value_column``; regions without data are grey.

    ``boundaries=None`` loads the cached boundaries (province detail when ``focus_province``
    is set); if none are available the map falls back to :func:`symbol_map`'s circles.
    """
    data = _values_by_code(values, value_column)
    shapes = _shapes(level, boundaries, focus_province)
    if shapes is None:
        return _symbols(
            data,
            None,
            level,
            format_value,
            legend_title,
            selected_code,
            focus_province,
            asset_base_url,
        )
    main, context = _split_focus(shapes, focus_province)
    bins = classify(main["code"].map(data), scheme, k, fixed_breaks)
    colours = palette(len(bins))
    fills = {
        code: NO_DATA_COLOR if index is None else colours[index]
        for code, index in ((c, class_index(data.get(c), bins)) for c in main["code"])
    }
    m = _base_map(legend_title)
    _add_context(m, context)
    _add_regions(m, main, data, format_value, legend_title, fills)
    _add_selected(m, shapes, selected_code)
    swatches = [
        (colour, label)
        for colour, label in zip(colours, legend_labels(bins, format_value), strict=True)
    ]
    rows = _swatch_rows([*swatches, (NO_DATA_COLOR, NO_DATA_LABEL)])
    _add_legend(m, legend_title, rows, _bounds(main if focus_province else None))
    return use_local_assets(m, asset_base_url)


def symbol_map(
    values: pd.DataFrame,
    *,
    level: Level,
    value_column: str,
    format_value: Formatter,
    legend_title: str,
    selected_code: str | None = None,
    focus_province: str | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    asset_base_url: str = DEFAULT_ASSET_BASE,
) -> folium.Map:
    """Circles with area proportional to ``value_column`` at each region's label point, over
    the region outlines when boundaries are available. Better than a choropleth for counts."""
    data = _values_by_code(values, value_column)
    shapes = _shapes(level, boundaries, focus_province)
    return _symbols(
        data,
        shapes,
        level,
        format_value,
        legend_title,
        selected_code,
        focus_province,
        asset_base_url,
    )


def clicked_code(st_folium_result: Mapping[str, Any] | None) -> str | None:
    """The ``code`` of the region last clicked, from the dict ``st_folium`` returns.

    Call ``st_folium(m, key=..., returned_objects=["last_active_drawing"])``. The value
    persists across reruns, so compare it with the code you already acted on.
    """
    drawing = (st_folium_result or {}).get("last_active_drawing") or {}
    code = (drawing.get("properties") or {}).get("code")
    return str(code) if code else None


# --- data preparation ---------------------------------------------------------------------


def _values_by_code(values: pd.DataFrame, value_column: str) -> dict[str, float]:
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"'values' should be a pandas DataFrame, got {type(values).__name__}")
    missing = {"code", value_column} - set(values.columns)
    if missing:
        raise ValueError(f"'values' lacks column(s) {sorted(missing)}")
    numbers = pd.to_numeric(values[value_column], errors="coerce")
    series = pd.Series(numbers.to_numpy(), index=values["code"].astype(str)).dropna()
    return {code: float(v) for code, v in series.groupby(level=0).sum().items()}


def _shapes(
    level: Level, boundaries: gpd.GeoDataFrame | None, focus_province: str | None
) -> gpd.GeoDataFrame | None:
    """Given boundaries, else the cache (None when it is missing or unreadable); for the
    national view rounded to ``NATIONAL_DECIMALS``."""
    shapes = boundaries
    if shapes is None:
        shapes = boundaries_or_none(level, "province" if focus_province else "national")
    if shapes is None or focus_province:
        return shapes
    rounded = shapely.transform(shapes.geometry.values, lambda xy: np.round(xy, NATIONAL_DECIMALS))
    return shapes.set_geometry(gpd.GeoSeries(rounded, index=shapes.index, crs=shapes.crs))


def _split_focus(
    shapes: gpd.GeoDataFrame, focus_province: str | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """(regions to colour, faint neighbours within ~1° of the focus province or None)."""
    if not focus_province:
        return shapes, None
    inside = shapes["province_code"] == focus_province
    if not inside.any():
        raise ValueError(f"'focus_province' {focus_province!r} is not a known province code")
    main = shapes[inside]
    west, south, east, north = main.total_bounds
    context = shapes[~inside].cx[west - 1 : east + 1, south - 1 : north + 1]
    return main, context


def _points(level: Level, shapes: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """code, name, province_code, lat, lon: label points of the boundary files or, without
    them, of the reference table."""
    if shapes is not None:
        frame = pd.DataFrame(shapes.drop(columns="geometry"))
        return frame.rename(columns={"label_lat": "lat", "label_lon": "lon"})
    if level == "province":
        return provinces().assign(province_code=lambda d: d["code"])
    return regencies()


# --- layers -------------------------------------------------------------------------------


def _base_map(title: str) -> folium.Map:
    """An empty map (no tiles: offline) on a pale sea colour, so grey "no data" regions
    stand out; the legend fits it to its regions (see ``_add_legend``)."""
    m = folium.Map(location=[-2.5, 118.0], zoom_start=5, tiles=None, zoom_snap=0.25)
    m.get_root().header.add_child(Element(f"<style>.leaflet-container{{background:{SEA}}}</style>"))
    m.add_child(_FrameTitle(f"Peta {title}"))
    return m


def _bounds(frame: pd.DataFrame | gpd.GeoDataFrame | None) -> list[list[float]]:
    if frame is None or frame.empty:
        return INDONESIA_BOUNDS
    if isinstance(frame, gpd.GeoDataFrame):
        west, south, east, north = (float(v) for v in frame.total_bounds)
    else:
        west, east = float(frame["lon"].min()), float(frame["lon"].max())
        south, north = float(frame["lat"].min()), float(frame["lat"].max())
    return [[south, west], [north, east]]


def _features(frame: gpd.GeoDataFrame, labels: Mapping[str, str] | None = None) -> dict:
    """FeatureCollection with only what the browser needs: code (first, used by folium as the
    feature id), name, and the formatted value shown in the tooltip."""
    columns = ["code", "name", "geometry"]
    slim = frame[columns].copy()
    if labels is not None:
        slim.insert(2, "label", slim["code"].map(labels).fillna(NO_DATA_LABEL))
    return slim.__geo_interface__


def _labels(data: Mapping[str, float], format_value: Formatter) -> dict[str, str]:
    return {code: format_value(value) for code, value in data.items()}


def _tooltip(legend_title: str) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=["name", "label"], aliases=["Wilayah", legend_title], sticky=True
    )


def _add_context(m: folium.Map, context: gpd.GeoDataFrame | None) -> None:
    if context is None or context.empty:
        return
    folium.GeoJson(
        _features(context),
        name="Wilayah sekitar",
        style_function=lambda _f: {
            "color": "#9e9e9e",
            "weight": 0.6,
            "fillColor": "#eeeeee",
            "fillOpacity": 0.4,
        },
        interactive=False,
    ).add_to(m)


def _add_regions(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    data: Mapping[str, float],
    format_value: Formatter,
    legend_title: str,
    fills: Mapping[str, str],
) -> None:
    folium.GeoJson(
        _features(frame, _labels(data, format_value)),
        name=legend_title,
        style_function=lambda f: {
            "fillColor": fills.get(f["properties"]["code"], "#ffffff"),
            "fillOpacity": 0.85 if fills else 0.8,
            "color": "#ffffff" if fills else "#9e9e9e",
            "weight": 0.5,
        },
        highlight_function=lambda _f: {"weight": 2, "color": "#333333"},
        tooltip=_tooltip(legend_title),
    ).add_to(m).add_child(_Keyboard(focusable=True))


def _add_selected(m: folium.Map, shapes: gpd.GeoDataFrame, selected_code: str | None) -> None:
    chosen = shapes[shapes["code"] == selected_code] if selected_code else shapes.iloc[0:0]
    if chosen.empty:
        return
    folium.GeoJson(
        _features(chosen),
        name="Wilayah terpilih",
        style_function=lambda _f: {"color": SELECTED_COLOR, "weight": 3.5, "fillOpacity": 0},
        interactive=False,
    ).add_to(m)


def _symbols(
    data: Mapping[str, float],
    shapes: gpd.GeoDataFrame | None,
    level: Level,
    format_value: Formatter,
    legend_title: str,
    selected_code: str | None,
    focus_province: str | None,
    asset_base_url: str,
) -> folium.Map:
    points = _points(level, shapes)
    if focus_province:
        points = points[points["province_code"] == focus_province]
    m = _base_map(legend_title)
    if shapes is None:
        focus = points if focus_province else None
    else:
        main, context = _split_focus(shapes, focus_province)
        focus = main if focus_province else None
        _add_context(m, context)
        _add_regions(m, main, data, format_value, legend_title, fills={})
        _add_selected(m, shapes, selected_code)
    max_radius = MAX_RADIUS_PX["focus" if focus_province else "national"]
    keyboard = shapes is None  # the circles are the only targets; else the regions are
    vmax = _add_circles(
        m, points, data, format_value, legend_title, selected_code, max_radius, keyboard
    )
    rows = _size_rows(vmax, max_radius, format_value, shapes is None)
    _add_legend(m, legend_title, rows, _bounds(focus))
    return use_local_assets(m, asset_base_url)


def _add_circles(
    m: folium.Map,
    points: pd.DataFrame,
    data: Mapping[str, float],
    format_value: Formatter,
    legend_title: str,
    selected_code: str | None,
    max_radius: float,
    keyboard: bool,
) -> float:
    """Add one circle per region with a positive value (largest drawn first, so small ones
    stay clickable); returns the largest value, for the legend. ``keyboard``: the circles are
    the Tab stops (no region outlines under them)."""
    shown = points.assign(value=points["code"].map(data)).query("value > 0")
    vmax = float(shown["value"].max()) if not shown.empty else 0.0
    if shown.empty:
        return vmax
    shown = shown.sort_values("value", ascending=False)
    radius = {
        c: max_radius * (v / vmax) ** 0.5
        for c, v in zip(shown["code"], shown["value"], strict=True)
    }
    frame = gpd.GeoDataFrame(
        shown[["code", "name"]],
        geometry=gpd.points_from_xy(shown["lon"], shown["lat"]),
        crs="EPSG:4326",
    )
    folium.GeoJson(
        _features(frame, _labels(data, format_value)),
        name=f"{legend_title} (lingkaran)",
        marker=folium.CircleMarker(fill=True),
        style_function=lambda f: _circle_style(f, radius, selected_code),
        tooltip=_tooltip(legend_title),
    ).add_to(m).add_child(_Keyboard(focusable=keyboard))
    return vmax


def _circle_style(
    feature: dict, radius: Mapping[str, float], selected_code: str | None
) -> dict[str, Any]:
    code = feature["properties"]["code"]
    selected = code == selected_code
    return {
        "radius": round(max(radius.get(code, 0.0), 2.0), 1),
        "fillColor": "#2c7fb8",
        "fillOpacity": 0.6,
        "color": SELECTED_COLOR if selected else "#253494",
        "weight": 3 if selected else 0.8,
    }


# --- legend -------------------------------------------------------------------------------


class _Legend(MacroElement):
    """A Leaflet control holding plain HTML (branca's colour scale would pull d3 from a CDN),
    and the fit of the map to its regions *beside* the legend: of padding the right edge by
    the legend's width or the bottom edge by its height, the one that leaves the larger zoom
    (right on a wide desktop map, bottom on a phone), so the legend never covers a region.
    The fit is not animated: a second animated fit would be caught mid-zoom by screenshots."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "pantau-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo(map);
            var bounds = L.latLngBounds({{ this.bounds|tojson }});
            function fit() {
                var size = map.getSize(), box = legend.getContainer();
                var right = L.point(box.offsetWidth + 20, 24);
                var bottom = L.point(24, box.offsetHeight + 20);
                var wide = size.x > right.x + 50 && size.y > right.y + 50;
                var tall = size.x > bottom.x + 50 && size.y > bottom.y + 50;
                if (!wide && !tall) { return false; }  // the iframe is not laid out yet
                var pad = !tall || (wide && map.getBoundsZoom(bounds, false, right) >=
                    map.getBoundsZoom(bounds, false, bottom)) ? right : bottom;
                map.fitBounds(bounds, {
                    paddingTopLeft: [12, 12],
                    paddingBottomRight: [pad.x - 12, pad.y - 12],
                    animate: false
                });
                return true;
            }
            if (!fit()) {
                map.on("resize", function refit() { if (fit()) { map.off("resize", refit); } });
            }
        })();
        {% endmacro %}"""
    )

    def __init__(self, legend_html: str, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = legend_html
        self.bounds = bounds


class _Keyboard(MacroElement):
    """Regions as keyboard targets: each one a named button (region and value) that Enter or
    Space opens like a click; or, with ``focusable=False``, out of the Tab order. Applied once
    the layer is on the map, when its SVG elements exist."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.once("add", function (added) {
          added.target.eachLayer(function (layer) {
            var el = layer.getElement && layer.getElement();
            if (!el) { return; }
            {%- if this.focusable %}
            var p = layer.feature.properties;
            el.setAttribute("tabindex", "0");
            el.setAttribute("role", "button");
            el.setAttribute("aria-label", p.name + (p.label ? ": " + p.label : ""));
            el.addEventListener("keydown", function (event) {
                if (event.key !== "Enter" && event.key !== " ") { return; }
                event.preventDefault();
                var at = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
                layer.fire("click", {latlng: at, layer: layer}, true);
            });
            {%- else %}
            el.setAttribute("tabindex", "-1");
            el.setAttribute("aria-hidden", "true");
            {%- endif %}
          });
        });
        {% endmacro %}"""
    )

    def __init__(self, focusable: bool) -> None:
        super().__init__()
        self._name = "Keyboard"
        self.focusable = focusable


class _FrameTitle(MacroElement):
    """Names the iframe st_folium draws the map in (its title is otherwise the component's
    technical name), for screen readers. Tests find the map by this title."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        try { if (window.frameElement) { window.frameElement.title = {{ this.title|tojson }}; } }
        catch (error) {}
        {% endmacro %}"""
    )

    def __init__(self, title: str) -> None:
        super().__init__()
        self._name = "FrameTitle"
        self.title = title


_BOX = (
    "background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);"
    "font:12px/1.5 sans-serif;color:#222;max-width:220px"
)


def _add_legend(m: folium.Map, title: str, rows: str, bounds: list[list[float]]) -> None:
    body = f'<div style="{_BOX}"><b>{html.escape(title)}</b>{rows}</div>'
    m.add_child(_Legend(body, bounds))


def _swatch_rows(swatches: Sequence[tuple[str, str]]) -> str:
    box = "display:inline-block;width:14px;height:12px;margin-right:6px;border:1px solid #999"
    return "".join(
        f'<div><span style="{box};background:{colour}"></span>{html.escape(label)}</div>'
        for colour, label in swatches
    )


def _size_rows(vmax: float, max_radius: float, format_value: Formatter, fallback: bool) -> str:
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
    rows.append(f"<div>Tanpa lingkaran: {NO_DATA_LABEL.lower()}</div>")
    if fallback:
        rows.append("<div><i>Batas wilayah belum tersedia: ditampilkan sebagai titik.</i></div>")
    return "".join(rows)
