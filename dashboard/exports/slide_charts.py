"""The deck's small charts (weekly trend, funnel, breakdowns) drawn with matplotlib.

The screens and the offline report draw these charts with Altair (:mod:`dashboard.charts`);
a deck only needs pictures, and rendering nine Vega-Lite specs per deck through vl-convert
was about half of a deck's CPU time (issue #13: 552 decks in ≤ 10 min on 2 cores). These
figures carry the same data, words and Indonesian number formats: a suppressed cell gets no
bar or point, only its ``<N`` text. Each figure is drawn at the size of its box on the slide,
so font sizes are real points on the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType
from PIL import Image, ImageDraw, ImageFont

from dashboard import formatting
from dashboard.charts import BLUE, SERIES_COLORS, metric_label, value_formatter, week_notes
from dashboard.exports.slides import METRIC_FONT, metric_font, opaque_png

DPI = 150
LABEL_PT, TITLE_PT = 13, 15  # the small breakdown charts (a quarter of a slide)
FULL_PT = 18  # charts that fill the slide
DARK = "#222222"
FUNNEL_NOTE = "Dalam kurung: persen dari tahap sebelumnya"
STYLE: dict[RcKeyType, Any] = {
    "font.family": [METRIC_FONT, "DejaVu Sans"],
    "font.size": LABEL_PT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.color": "#dddddd",
}


def week_label(value: float, _position: object = None) -> str:
    """``6 Apr`` with Indonesian month abbreviations."""
    return formatting.day_month(mdates.num2date(value).date())


def figure_png(figure: Figure) -> bytes:
    return opaque_png(figure, DPI)


def trend_png(
    series: pd.DataFrame, shown: Sequence[str], size: tuple[float, float], threshold: int
) -> bytes:
    """Weekly lines per metric (suppressed weeks are gaps), legend on top in two columns;
    partial weeks as hollow points and, under the axis, the notes every weekly line carries
    (:func:`dashboard.charts.week_notes`)."""
    notes = week_notes(series, shown, threshold)
    with rc_context({**STYLE, "font.size": FULL_PT - 2}):
        figure = Figure(figsize=size)
        bottom = 0.7 + 0.3 * len(notes)
        axes = figure.add_axes(_inner(size, left=1.1, top=0.95, bottom=bottom))
        weeks = [pd.Timestamp(w).to_pydatetime() for w in series["week_start"]]
        partial = (series["days"] < 7).to_numpy() if "days" in series else None
        for metric, colour in zip(shown, SERIES_COLORS, strict=False):
            values = pd.to_numeric(series[metric].astype("Float64"), errors="coerce")
            axes.plot(weeks, values.astype(float), color=colour, linewidth=3, marker="o",
                      markersize=5, label=metric_label(metric))  # fmt: skip
            if partial is not None and partial.any():
                hollow = values.astype(float).where(partial)
                axes.plot(weeks, hollow, linestyle="", marker="o", markersize=11,
                          markerfacecolor="white", markeredgecolor=colour,
                          markeredgewidth=2.5)  # fmt: skip
        for index, note in enumerate(reversed(notes)):  # the first note on top
            figure.text(0.01, 0.02 + 0.3 * index / size[1], note, fontsize=FULL_PT - 4, color=DARK)
        axes.grid(True, axis="y")
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: formatting.axis_count(value)))
        axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
        axes.xaxis.set_major_formatter(FuncFormatter(week_label))
        axes.set_xlabel("Minggu mulai", fontsize=FULL_PT)
        axes.set_ylim(bottom=0)
        figure.legend(loc="upper left", bbox_to_anchor=(0.08, 1.0), ncols=2, frameon=False,
                      fontsize=FULL_PT)  # fmt: skip
        return figure_png(figure)


def _inner(
    size: tuple[float, float], left: float, top: float, bottom: float, right: float = 0.2
) -> tuple[float, float, float, float]:
    """The axes' rectangle in figure fractions from margins in inches (a fixed layout: a
    layout engine measures every text first, which doubled these charts' cost)."""
    width, height = size
    return left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height


def _bars_png(
    labels: Sequence[str],
    values: pd.Series,
    texts: Sequence[str],
    size: tuple[float, float],
    points: int,
    heading: str = "",
) -> bytes:
    """Horizontal bars top to bottom under an optional bold ``heading``: the category left of
    each bar, its exact value (or ``<N``) right of it, no x axis (every bar carries its
    number). An NA value draws no bar. Drawn with Pillow: these are plain rectangles and
    text, and matplotlib spent about 0.1 s CPU on each of a deck's eight bar charts."""
    image = Image.new("RGB", (round(size[0] * DPI), round(size[1] * DPI)), "white")
    draw = ImageDraw.Draw(image)
    font, pad, gap = _font(points), DPI // 10, DPI // 12
    top = pad
    if heading:
        draw.text((pad, pad), heading, fill=DARK, font=_font(TITLE_PT, bold=True))
        top += round(TITLE_PT * DPI / 72 * 1.6)
    x0 = pad + round(max((font.getlength(label) for label in labels), default=0)) + gap
    room = image.width - x0 - pad - gap - max((font.getlength(t) for t in texts), default=0)
    largest = float(values.max()) if values.notna().any() else 0.0
    scale = room / largest if largest > 0 else 0.0
    row = (image.height - top - pad) / max(len(labels), 1)
    for index, (label, value, text) in enumerate(
        zip(labels, values.fillna(0.0), texts, strict=True)
    ):
        middle = top + row * (index + 0.5)
        end = x0 + value * scale
        if value > 0:
            draw.rectangle((x0, middle - row * 0.35, end, middle + row * 0.35), fill=BLUE)
        draw.text((x0 - gap, middle), label, fill=DARK, font=font, anchor="rm")
        draw.text((end + gap, middle), text, fill=DARK, font=font, anchor="lm")
    draw.line((x0, top, x0, image.height - pad), fill="#888888", width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def _font(points: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The theme's metric font at ``points`` on a :data:`DPI` picture."""
    return metric_font(bold).font_variant(size=round(points * DPI / 72))


def funnel_png(frame: pd.DataFrame, size: tuple[float, float]) -> bytes:
    """The funnel's stages as bars, each with its people and share of the stage before."""
    shares = frame["share_of_previous"]
    texts = [
        people if pd.isna(share) else f"{people} ({formatting.percent(share)})"
        for people, share in zip(frame["people_text"], shares, strict=True)
    ]
    values = pd.to_numeric(frame["people"], errors="coerce").astype(float)
    return _bars_png(list(frame["label"]), values, texts, size, FULL_PT, FUNNEL_NOTE)


def breakdown_png(
    frame: pd.DataFrame, metric: str, title: str, hidden: str, size: tuple[float, float]
) -> bytes:
    """One breakdown as bars under its title; a suppressed cell shows ``hidden`` (``<N``)
    and no bar."""
    values = pd.to_numeric(frame[metric].astype("Float64"), errors="coerce").astype(float)
    fmt = value_formatter(metric)
    texts = [hidden if pd.isna(v) else fmt(v) for v in values]
    return _bars_png(frame["label"].astype(str).tolist(), values, texts, size, LABEL_PT, title)
