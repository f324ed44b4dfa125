"""Static maps for slides and reports: 1920×1080 PNG or SVG via geopandas/matplotlib.

Counts are proportional circles over grey outlines, rates a choropleth with the same classes
and colours as the web map (:mod:`geo.classify`). Without boundary files the regions are
drawn as circles at the reference table's label points. Regency-level counts are suppressed
first (:mod:`dashboard.exports.protect`), so a hidden count never becomes a circle.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dashboard.charts import metric_label, value_formatter
from dashboard.exports.context import SYNTHETIC_LABEL, ExportContext
from dashboard.exports.protect import protected_region_rates
from dashboard.exports.slides import opaque_png
from dashboard.settings import suppression_threshold
from geo.boundaries import AnyLevel, boundaries_or_none
from geo.classify import (
    EMPTY_LABEL,
    HIDDEN_COLOR,
    fill_colour,
    hidden_label,
    legend_entries,
    map_classes,
    palette,
)
from geo.map_spec import reference_points
from geo.regions import in_focus
from queries.suppression import hidden_figures

SIZE_PX = (1920, 1080)
DPI = 100
COUNT_METRICS = frozenset({"registrants", "recipients", "completed", "paid", "paid_idr"})
CIRCLE_FILL, CIRCLE_EDGE, SELECTED = "#2c7fb8", "#253494", "#d95f02"
MAX_DIAMETER_PT = {"national": 70.0, "focus": 80.0, "regency": 36.0}
FONT = {"title": 30, "subtitle": 18, "legend": 17, "footer": 14, "synthetic": 20}
SLIDE_DPI = 150
SLIDE_LEGEND_PT = 20


@dataclass(frozen=True)
class MapLayers:
    """What gets drawn: regions to colour (or None: no boundaries), neighbours for context,
    and label points with values."""

    regions: gpd.GeoDataFrame | None
    neighbours: gpd.GeoDataFrame | None
    points: pd.DataFrame


def map_png(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    context: ExportContext,
    focus_province: str | None = None,
    highlight: str | None = None,
) -> bytes:
    """A 1920×1080 PNG map of ``metric`` with legend, title, filters, as-of and source."""
    figure = map_figure(values, level, metric, context, focus_province, highlight)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def map_svg(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    context: ExportContext,
    focus_province: str | None = None,
    highlight: str | None = None,
) -> str:
    """The same map as SVG (text stays text)."""
    figure = map_figure(values, level, metric, context, focus_province, highlight)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", dpi=DPI)
    return buffer.getvalue()


def map_figure(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    context: ExportContext,
    focus_province: str | None = None,
    highlight: str | None = None,
) -> Figure:
    """The map as a matplotlib figure (no pyplot: safe in Streamlit's threads)."""
    figure = Figure(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI)
    # National maps span the width with the legend in one row below; province maps vary in
    # shape, so their legend gets its own column on the right.
    box = (0.02, 0.08, 0.72, 0.72) if focus_province else (0.01, 0.17, 0.98, 0.64)
    handles, layers = _draw_map(figure.add_axes(box), values, level, metric, focus_province)
    _draw_highlight(figure.axes[0], layers, highlight)
    figure.legend(
        handles=handles,
        # A column legend beside a province map: wrap its title so it stays on the slide.
        title=textwrap.fill(metric_label(metric), 22) if focus_province else metric_label(metric),
        loc="center left" if focus_province else "lower center",
        bbox_to_anchor=(0.755, 0.45) if focus_province else (0.5, 0.07),
        ncol=1 if focus_province else len(handles),
        handlelength=4.5,
        handleheight=2.0,
        columnspacing=2.0,
        fontsize=FONT["legend"],
        title_fontsize=FONT["legend"] + 1,
        frameon=False,
        labelspacing=1.1,
        borderpad=0.2,
    )
    _draw_texts(figure, context, metric, layers.regions is None)
    return figure


def slide_map_png(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    size_in: tuple[float, float],
    focus_province: str | None = None,
    highlight: str | None = None,
) -> bytes:
    """The map slide's picture, drawn at the slide box's size in inches so font points are
    slide points: the map fills at least 70% of the box (:func:`slide_map_box`) and the legend
    is :data:`SLIDE_LEGEND_PT` pt, readable from the back of a hall."""
    figure = Figure(figsize=size_in, dpi=SLIDE_DPI)
    box = slide_map_box(focus_province is not None)
    axes = figure.add_axes(box)
    handles, layers = _draw_map(axes, values, level, metric, focus_province, margin=3.0)
    _fill_box(axes, figure, layers)
    _draw_highlight(axes, layers, highlight)
    size = SLIDE_LEGEND_PT
    figure.legend(
        handles=handles,
        title=textwrap.fill(metric_label(metric), 16) if focus_province else metric_label(metric),
        loc="center left" if focus_province else "lower center",
        bbox_to_anchor=(box[2] + 0.01, 0.5) if focus_province else (0.5, 0.0),
        ncol=1 if focus_province else 3,
        handlelength=2.0,
        handleheight=1.2,
        columnspacing=1.5,
        fontsize=size,
        title_fontsize=size,
        frameon=False,
        labelspacing=0.5,
        borderpad=0.1,
    )
    return opaque_png(figure, SLIDE_DPI)  # RGB: the PDF deck embeds it as it is


def slide_map_box(focused: bool) -> tuple[float, float, float, float]:
    """The map's axes in figure fractions: a column on the right for a province's legend,
    two legend rows under the nation's (wide) map."""
    return (0.0, 0.0, 0.74, 1.0) if focused else (0.0, 0.25, 1.0, 0.75)


def _fill_box(axes: Axes, figure: Figure, layers: MapLayers) -> None:
    """Fit the data limits to the regions drawn in colour, widened to the axes' shape, so the
    map (with its neighbours) fills the whole box instead of leaving empty bands beside a tall
    or wide region."""
    width, height = figure.get_size_inches()
    box = axes.get_position()
    aspect = (box.width * width) / (box.height * height)
    if layers.regions is not None:
        x0, y0, x1, y1 = layers.regions.total_bounds
    else:
        x0, x1 = layers.points["lon"].min(), layers.points["lon"].max()
        y0, y1 = layers.points["lat"].min(), layers.points["lat"].max()
    pad = 0.03 * max(x1 - x0, y1 - y0)
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    w, h = max(w, h * aspect), max(h, w / aspect)
    axes.set_xlim(cx - w / 2, cx + w / 2)
    axes.set_ylim(cy - h / 2, cy + h / 2)


def _draw_map(
    axes: Axes,
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    focus_province: str | None,
    margin: float = 0.5,
) -> tuple[list, MapLayers]:
    """Regions and symbols on ``axes``; returns the legend handles and what was drawn."""
    if level not in ("province", "regency", "district"):
        raise ValueError(f"'level' must be 'province', 'regency' or 'district', got {level!r}")
    data = map_values(values, level, metric)
    layers = layers_for(level, focus_province, data, margin)
    axes.set_axis_off()
    if metric in COUNT_METRICS:
        handles = _draw_counts(axes, layers, level, metric, focus_province)
    else:
        handles = _draw_rates(axes, layers, metric)
    axes.set_aspect("equal")
    return handles, layers


def map_values(values: pd.DataFrame, level: AnyLevel, metric: str) -> pd.DataFrame:
    """code, value and hidden (suppressed, not missing), with small counts suppressed and
    rates recomputed from what remains."""
    data = protected_region_rates(values)
    if metric not in data:
        raise ValueError(f"'values' cannot give metric {metric!r}")
    numbers = pd.to_numeric(data[metric].astype("Float64"), errors="coerce").astype(float)
    return pd.DataFrame(
        {
            "code": data["code"].astype(str).to_numpy(),
            "value": numbers.to_numpy(),
            "hidden": hidden_figures(data, metric).to_numpy(),
        }
    )


def legend_patches(entries: list[tuple[str, str]]) -> list[Patch]:
    """Matplotlib legend rows from :func:`geo.classify.legend_entries`."""
    return [Patch(facecolor=c, edgecolor="#999999", label=t) for c, t in entries]


def region_colours(points: pd.DataFrame, bins: list[float]) -> list[str]:
    """Each row's fill (``value``, ``hidden``) by the maps' one rule."""
    colours = palette(len(bins))
    hidden = points["hidden"].eq(True)
    return [
        fill_colour(value, bins, colours, flag)
        for value, flag in zip(points["value"], hidden, strict=True)
    ]


def layers_for(
    level: AnyLevel, focus_province: str | None, data: pd.DataFrame, margin: float = 0.5
) -> MapLayers:
    """What to draw for ``data`` (code, value); neighbours within ``margin`` degrees of a
    focus province give it context."""
    shapes = _boundaries(level, focus_province)
    neighbours = None
    if shapes is not None and focus_province:
        inside = in_focus(shapes["code"], focus_province)
        west, south, east, north = shapes[inside].total_bounds
        box = (west - margin, east + margin, south - margin, north + margin)
        neighbours = shapes[~inside].cx[box[0] : box[1], box[2] : box[3]]
        shapes = shapes[inside]
    if shapes is not None:
        shapes = shapes.merge(data, on="code", how="left")
        points = pd.DataFrame(shapes.drop(columns="geometry")).rename(
            columns={"label_lat": "lat", "label_lon": "lon"}
        )
    else:
        reference = reference_points(level)
        if focus_province:
            reference = reference[in_focus(reference["code"], focus_province)]
        points = reference.merge(data, on="code", how="left")
    return MapLayers(shapes, neighbours, points)


def _boundaries(level: AnyLevel, focus_province: str | None) -> gpd.GeoDataFrame | None:
    return boundaries_or_none(level, "province" if focus_province else "national")


def _draw_outlines(axes: Axes, layers: MapLayers) -> None:
    if layers.neighbours is not None and not layers.neighbours.empty:
        layers.neighbours.plot(ax=axes, color="#f2f2f2", edgecolor="#c8c8c8", linewidth=0.6)


def _draw_rates(axes: Axes, layers: MapLayers, metric: str) -> list:
    """Choropleth (or coloured dots without boundaries); returns the legend handles."""
    bins = map_classes(layers.points["value"], "quantiles", 5)
    fills = region_colours(layers.points, bins)
    _draw_outlines(axes, layers)
    if layers.regions is not None:
        layers.regions.plot(ax=axes, color=fills, edgecolor="white", linewidth=0.5)
    else:
        axes.scatter(
            layers.points["lon"], layers.points["lat"], s=260, c=fills, edgecolors="#555555"
        )
    any_hidden = bool(layers.points["hidden"].eq(True).any())
    entries = legend_entries(bins, value_formatter(metric), any_hidden, suppression_threshold())
    return legend_patches(entries)


def _draw_counts(
    axes: Axes, layers: MapLayers, level: AnyLevel, metric: str, focus: str | None
) -> list:
    """Proportional circles (area ∝ value) over grey outlines; returns the legend handles."""
    _draw_outlines(axes, layers)
    hidden = layers.points["hidden"].eq(True).to_numpy()
    if layers.regions is not None:
        fills = [HIDDEN_COLOR if flag else "#e8e8e8" for flag in hidden]
        layers.regions.plot(ax=axes, color=fills, edgecolor="#ffffff", linewidth=0.6)
    elif hidden.any():
        dots = layers.points[hidden]
        axes.scatter(dots["lon"], dots["lat"], s=40, c=HIDDEN_COLOR, edgecolors="#7a4f78")
    shown = layers.points[layers.points["value"] > 0].sort_values("value", ascending=False)
    vmax = float(shown["value"].max()) if not shown.empty else 0.0
    key = "focus" if focus else ("regency" if level == "regency" else "national")
    max_area = MAX_DIAMETER_PT[key] ** 2
    if vmax > 0:
        axes.scatter(
            shown["lon"],
            shown["lat"],
            s=max_area * shown["value"] / vmax,
            c=CIRCLE_FILL,
            alpha=0.6,
            edgecolors=CIRCLE_EDGE,
            linewidths=0.8,
        )
    fmt = value_formatter(metric)
    handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=MAX_DIAMETER_PT[key] * share**0.5,
            markerfacecolor=CIRCLE_FILL,
            markeredgecolor=CIRCLE_EDGE,
            alpha=0.6,
            label=fmt(vmax * share),
        )
        for share in ((1.0, 0.25, 0.05) if vmax > 0 else ())
    ]
    note = "Tanpa lingkaran: nol\natau tidak ada data"
    if vmax <= 0:
        note = textwrap.fill(EMPTY_LABEL, 22)
    hidden_rows = [(HIDDEN_COLOR, hidden_label(suppression_threshold()))] if hidden.any() else []
    return [
        *handles,
        *legend_patches(hidden_rows),
        Patch(facecolor="#e8e8e8", edgecolor="#bbbbbb", label=note),
    ]


def _draw_highlight(axes: Axes, layers: MapLayers, highlight: str | None) -> None:
    if not highlight:
        return
    if layers.regions is not None:
        chosen = layers.regions[layers.regions["code"] == highlight]
        if not chosen.empty:
            chosen.plot(ax=axes, facecolor="none", edgecolor=SELECTED, linewidth=3.5)
        return
    chosen = layers.points[layers.points["code"] == highlight]
    axes.scatter(
        chosen["lon"], chosen["lat"], s=700, facecolors="none", edgecolors=SELECTED, linewidths=3
    )


def _draw_texts(figure: Figure, context: ExportContext, metric: str, fallback: bool) -> None:
    """Title, what is shown, and the context lines; the synthetic label in red."""
    figure.text(0.02, 0.955, context.title, fontsize=FONT["title"], weight="bold", va="top")
    figure.text(
        0.02,
        0.895,
        f"{metric_label(metric)} · {context.region_name} · {context.filters_text}",
        fontsize=FONT["subtitle"],
        va="top",
        wrap=True,
    )
    footer = f"{context.as_of_text} · {context.source_line}"
    if fallback:
        note = "Batas wilayah belum tersedia: wilayah digambar sebagai titik di pusatnya."
        figure.text(0.02, 0.065, note, fontsize=FONT["footer"], style="italic")
    figure.text(0.02, 0.03, footer, fontsize=FONT["footer"], color="#333333")
    if context.synthetic:
        figure.text(
            0.02,
            0.845,
            SYNTHETIC_LABEL,
            fontsize=FONT["synthetic"],
            weight="bold",
            color="#c00000",
            va="top",
        )
