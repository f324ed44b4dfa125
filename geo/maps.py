"""The offline report's region map (folium/Leaflet), built from a DataFrame keyed by ``code``.

No Streamlit here. The dashboard's screens draw their maps with their own component from a
map spec (:mod:`geo.map_spec`) and static boundary files; this folium builder serves the
single-file offline HTML report, sharing the spec's classes, radii and legend. Every GeoJSON
feature carries ``code`` and ``name``. Without boundary files the map falls back to
proportional circles at the reference table's label points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.boundaries import AnyLevel, boundaries_or_none
from geo.boundary_files import INDONESIA_BOUNDS, NATIONAL_DECIMALS, fit_bounds, split_focus
from geo.classify import DEFAULT_THRESHOLD, NO_DATA_LABEL, Scheme
from geo.map_spec import (
    MAX_RADIUS_PX,
    SEA,
    SELECTED_COLOR,
    Formatter,
    bounds_of,
    circle_radii,
    hidden_codes,
    legend_html,
    reference_points,
    region_fills,
    region_labels,
    size_rows,
    values_by_code,
)
from geo.offline import DEFAULT_ASSET_BASE, remote_assets, use_local_assets
from geo.regions import in_focus

__all__ = ["DEFAULT_ASSET_BASE", "choropleth_map", "remote_assets", "use_local_assets"]


def choropleth_map(
    values: pd.DataFrame,
    *,
    level: AnyLevel,
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
    threshold: int = DEFAULT_THRESHOLD,
) -> folium.Map:
    """Regions coloured by class of ``value_column``; regions without data are grey, those
    with a true ``hidden`` column (small-cell suppression) in the hidden colour.

    ``boundaries=None`` loads the cached boundaries (province detail when ``focus_province``
    is set); if none are available the map falls back to circles at label points.
    """
    data = values_by_code(values, value_column)
    hidden = hidden_codes(values)
    labels = region_labels(data, hidden, format_value, threshold)
    shapes = _shapes(level, boundaries, focus_province)
    if shapes is None:
        return _fallback_symbols(
            data, level, format_value, legend_title, selected_code, focus_province, asset_base_url
        )
    main, context = split_focus(shapes, focus_province)
    fills, rows = region_fills(
        main["code"], data, format_value, scheme, k, fixed_breaks, hidden, threshold
    )
    m = _base_map()
    _add_context(m, context)
    _add_regions(m, main, labels, legend_title, fills)
    _add_selected(m, shapes, selected_code)
    _add_legend(m, legend_title, rows, fit_bounds(main) if focus_province else INDONESIA_BOUNDS)
    return use_local_assets(m, asset_base_url)


# --- data preparation ---------------------------------------------------------------------


def _shapes(
    level: AnyLevel, boundaries: gpd.GeoDataFrame | None, focus_province: str | None
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


# --- layers -------------------------------------------------------------------------------


def _base_map() -> folium.Map:
    """An empty map (no tiles: offline) on a pale sea colour, so grey "no data" regions
    stand out; the legend fits it to its regions (see ``_add_legend``)."""
    m = folium.Map(location=[-2.5, 118.0], zoom_start=5, tiles=None, zoom_snap=0.25)
    root = m.get_root()
    assert isinstance(root, Figure)  # a folium.Map's root is always its Figure
    root.header.add_child(Element(f"<style>.leaflet-container{{background:{SEA}}}</style>"))
    return m


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


def _add_context(m: folium.Map, context: gpd.GeoDataFrame) -> None:
    if context.empty:
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
    labels: Mapping[str, str],
    legend_title: str,
    fills: Mapping[str, str],
) -> None:
    folium.GeoJson(
        _features(frame, labels),
        name=legend_title,
        style_function=lambda f: {
            "fillColor": fills.get(f["properties"]["code"], "#ffffff"),
            "fillOpacity": 0.85,
            "color": "#ffffff",
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


def _fallback_symbols(
    data: Mapping[str, float],
    level: AnyLevel,
    format_value: Formatter,
    legend_title: str,
    selected_code: str | None,
    focus_province: str | None,
    asset_base_url: str,
) -> folium.Map:
    """No boundaries: one circle per region with a positive value at its reference label
    point (largest drawn first, so small ones stay clickable), each one a keyboard target."""
    points = reference_points(level)
    if focus_province:
        points = points[in_focus(points["code"], focus_province)]
    m = _base_map()
    max_radius = MAX_RADIUS_PX["focus" if focus_province else "national"]
    shown, vmax = circle_radii(points, data, max_radius)
    if not shown.empty:
        radius = dict(zip(shown["code"], shown["radius"], strict=True))
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
        ).add_to(m).add_child(_Keyboard(focusable=True))
    rows = size_rows(vmax, max_radius, format_value, fallback=True)
    _add_legend(m, legend_title, rows, bounds_of(points) if focus_province else INDONESIA_BOUNDS)
    return use_local_assets(m, asset_base_url)


def _circle_style(
    feature: dict, radius: Mapping[str, float], selected_code: str | None
) -> dict[str, Any]:
    code = feature["properties"]["code"]
    selected = code == selected_code
    return {
        "radius": radius.get(code, 2.0),
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


def _add_legend(m: folium.Map, title: str, rows: str, bounds: list[list[float]]) -> None:
    m.add_child(_Legend(legend_html(title, rows), bounds))
