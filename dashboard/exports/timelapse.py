"""The time-lapse map for the opening slide: weekly registrants per 1,000 population.

One frame per week of the period: the nation's provinces, or a province's regencies (a
regency's file shows its province, the regency outlined). Every frame carries the week, the
as-of time, the source and, for demo data, ``DATA SINTETIS``. Colours use one set of classes
for the whole period so a darker region means more registrants in every frame. The base map
is drawn once; each frame only recolours it, which keeps a 21-frame GIF to a few seconds.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from dashboard import formatting
from dashboard.exports.context import ExportContext, context_from_store
from dashboard.exports.static_map import (
    MapLayers,
    layers_for,
    legend_patches,
    map_values,
    region_colours,
)
from dashboard.settings import suppression_threshold
from geo.boundaries import Level
from geo.classify import NO_DATA_COLOR, legend_entries, map_classes
from geo.regions import NATION_CODE, region_name
from queries import metrics
from queries.filters import Filters
from queries.store import Store

METRIC = "registrants_per_1000"
SIZE_IN, DPI = (9.6, 5.4), 100
FRAME_MS, LAST_FRAME_MS = 1000, 3000
"""One second per week in the GIF and the MP4 alike (time for a hall to read the week), the last
week held three (a whole number of frames, for the MP4's constant frame rate)."""
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Week:
    """One frame's days (the first and last week may be partial) and values by region, per
    seven days: a partial week's rate is scaled to a whole week, so a 4-day last week does not
    look like a collapse, and its label says so."""

    first: date
    last: date
    values: pd.DataFrame

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        text = f"Minggu {formatting.long_date(self.first)} – {formatting.long_date(self.last)}"
        return text if self.days == 7 else f"{text} ({self.days} hari, disetarakan 7 hari)"


def weekly_values(store: Store, filters: Filters) -> tuple[Level, list[Week]]:
    """(level, weeks): per region and week, the rate as the map shows it (regency counts
    suppressed first, like every regency-level map)."""
    level: Level = "province" if filters.province is None else "regency"
    scope = filters.with_region(filters.province or NATION_CODE)
    weeks = []
    for first, last in _weeks(filters.date_from, filters.date_to):
        values = metrics.region_metrics(store, replace(scope, date_from=first, date_to=last), level)
        shown = map_values(values, level, METRIC)
        days = (last - first).days + 1
        weeks.append(Week(first, last, shown.assign(value=shown["value"] * 7 / days)))
    return level, weeks


def _weeks(start: date, end: date) -> Iterator[tuple[date, date]]:
    """Monday-to-Sunday weeks clipped to [start, end]."""
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        yield max(monday, start), min(monday + timedelta(days=6), end)
        monday += timedelta(days=7)


def build_timelapse_gif(store: Store, filters: Filters, region_code: str) -> bytes:
    """The animated GIF (≤ 5 MB) for ``region_code``'s map over ``filters``' period."""
    return _within_budget(_gif(timelapse_frames(store, filters, region_code)), "GIF")


def build_timelapse_mp4(store: Store, filters: Filters, region_code: str) -> bytes:
    """The same time-lapse as an H.264 MP4 (≤ 5 MB), for players and slides that want video."""
    return _within_budget(_mp4(timelapse_frames(store, filters, region_code)), "MP4")


def build_timelapse(store: Store, filters: Filters, region_code: str, fmt: str) -> bytes:
    """The time-lapse in ``fmt`` (``gif`` or ``mp4``), for the command line and the batch."""
    builders = {"gif": build_timelapse_gif, "mp4": build_timelapse_mp4}
    return builders[fmt](store, filters, region_code)


def timelapse_frames(store: Store, filters: Filters, region_code: str) -> list[Image.Image]:
    """One stamped RGB frame per week of ``filters``' period for ``region_code``'s map."""
    scoped = filters.with_region(region_code)
    level, weeks = weekly_values(store, scoped)
    title = f"Pendaftar per 1.000 penduduk per minggu — {region_name(scoped.province or 'ID')}"
    context = context_from_store(store, scoped, title)
    return list(_frames(level, weeks, context, scoped.province, scoped.regency))


def _within_budget(data: bytes, kind: str) -> bytes:
    if len(data) > MAX_BYTES:
        raise ValueError(f"time-lapse {kind} is {len(data):,} bytes, over {MAX_BYTES:,}")
    return data


def _frames(
    level: Level,
    weeks: list[Week],
    context: ExportContext,
    focus: str | None,
    highlight: str | None,
) -> Iterator[Image.Image]:
    """One RGB image per week; the map is drawn once and recoloured."""
    everything = pd.concat([week.values for week in weeks], ignore_index=True)
    bins = map_classes(everything["value"], "quantiles", 5)
    layers = layers_for(level, focus, weeks[0].values)
    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    axes = figure.add_axes((0.01, 0.1, 0.66, 0.72))
    axes.set_axis_off()
    shapes = _draw_base(axes, layers, highlight)
    _legend(figure, bins, bool(everything["hidden"].any()))
    week_text = _stamps(figure, context)
    order = (layers.regions if layers.regions is not None else layers.points)[["code"]]
    for week in weeks:
        shapes.set_facecolor(region_colours(order.merge(week.values, how="left"), bins))
        week_text.set_text(week.label())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        yield Image.open(buffer).convert("RGB")


def _draw_base(axes: Axes, layers: MapLayers, highlight: str | None) -> Collection:
    """Neighbours, then the regions (or label-point dots); returns the artist to recolour."""
    if layers.neighbours is not None and not layers.neighbours.empty:
        layers.neighbours.plot(ax=axes, color="#f2f2f2", edgecolor="#c8c8c8", linewidth=0.5)
    if layers.regions is not None:
        layers.regions.plot(ax=axes, color=NO_DATA_COLOR, edgecolor="white", linewidth=0.4)
        shapes = axes.collections[-1]
        chosen = layers.regions[layers.regions["code"] == highlight]
        if not chosen.empty:
            chosen.plot(ax=axes, facecolor="none", edgecolor="#d95f02", linewidth=2.5)
    else:
        shapes = axes.scatter(
            layers.points["lon"], layers.points["lat"], s=120, c=NO_DATA_COLOR, edgecolors="#555"
        )
    axes.set_aspect("equal")
    return shapes


def _legend(figure: Figure, bins: list[float], any_hidden: bool) -> None:
    entries = legend_entries(bins, formatting.rate_per_1000, any_hidden, suppression_threshold())
    figure.legend(
        handles=legend_patches(entries),
        title="Per 1.000 penduduk\n(per minggu)",
        loc="center left",
        bbox_to_anchor=(0.69, 0.46),
        fontsize=13,
        title_fontsize=13,
        frameon=False,
        handlelength=2.2,
        handleheight=1.4,
    )


def _stamps(figure: Figure, context: ExportContext) -> Text:
    """Title, week (returned, to update per frame), as-of/source and the synthetic stamp."""
    figure.text(0.02, 0.965, context.title, fontsize=15, weight="bold", va="top")
    week = figure.text(0.02, 0.895, "", fontsize=15, color="#2c7fb8", weight="bold", va="top")
    figure.text(0.02, 0.03, f"{context.as_of_text} · {context.source_line}", fontsize=10)
    if context.synthetic:
        figure.text(
            0.98,
            0.895,
            "DATA SINTETIS",
            fontsize=15,
            weight="bold",
            color="#c00000",
            ha="right",
            va="top",
        )
    return week


def _gif(frames: list[Image.Image]) -> bytes:
    """Frames quantised to the first frame's palette (the legend holds every class colour),
    without dithering, so flat regions compress well."""
    palette_image = frames[0].quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    quantised = [
        frame.quantize(palette=palette_image, dither=Image.Dither.NONE) for frame in frames
    ]
    durations = [FRAME_MS] * (len(quantised) - 1) + [LAST_FRAME_MS]
    buffer = io.BytesIO()
    quantised[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=quantised[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return buffer.getvalue()


def _mp4(frames: list[Image.Image]) -> bytes:
    """H.264 (yuv420p, which every player decodes) through PyAV's bundled FFmpeg at a constant
    one frame per :data:`FRAME_MS`, the last week repeated to fill :data:`LAST_FRAME_MS`, so
    every player shows each week as long as the GIF does (a longer gap between two coded
    frames was played at the stream's frame rate by some)."""
    import av

    held = [*frames, *[frames[-1]] * (LAST_FRAME_MS // FRAME_MS - 1)]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(1000, FRAME_MS))
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(FRAME_MS, 1000)
        stream.options = {"crf": "23", "preset": "medium", "tune": "stillimage"}
        for index, image in enumerate(held):
            frame = av.VideoFrame.from_image(image)
            frame.pts, frame.time_base = index, Fraction(FRAME_MS, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buffer.getvalue()
