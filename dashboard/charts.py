"""The one charting module behind the screens and every export.

Pure functions returning Vega-Lite specs as plain dicts (:data:`Spec`); no Streamlit. The specs
are what Altair's ``to_dict()`` gave for the same charts, written directly: building Altair
objects (deep copies, layering, schema validation) and converting them was a third of a first
Daerah Saya view's CPU (docs/SCALING.md). Numbers read the Indonesian way
everywhere (``849.921``, ``12,3%``): axis labels use Vega expressions that swap the separators,
and tooltips and text marks use text precomputed with :mod:`dashboard.formatting`, so a chart
looks the same in the browser and in a PNG rendered offline by vl-convert (which is therefore
never given a format locale: it would swap the separators a second time).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from dashboard import formatting
from dashboard.metric_options import DISTRICT_OPTIONS, METRIC_OPTIONS, PER_1000
from geo.classify import DEFAULT_THRESHOLD, hidden_label

METRIC_LABELS = {
    **{
        option.key + PER_1000: f"{option.label} per 1.000 penduduk"
        for option in METRIC_OPTIONS
        if option.kind == "count"
    },
    **{option.key: option.label for option in (*METRIC_OPTIONS, *DISTRICT_OPTIONS)},
}
"""The same words on charts as in the screens' pickers and tables, per-capita forms included."""
SHARE_METRICS = frozenset({"recipient_rate", "completion_rate", "paid_rate", "registrants_share"})
"""Metrics that are shares (0–1) and read as percentages."""

BLUE, DARK_BLUE, ORANGE, GREY = "#2c7fb8", "#253494", "#d95f02", "#9e9e9e"
SERIES_COLORS = ["#2c7fb8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a"]
"""Colour-blind-safe (Dark2/Brewer) hues for up to five lines."""
MONTHS = "['Jan','Feb','Mar','Apr','Mei','Jun','Jul','Agu','Sep','Okt','Nov','Des']"
FONT_SIZES = {"label": 14, "title": 15, "chart_title": 20, "subtitle": 14, "text": 14}
"""Large enough to read at 1366×768 and from the back of a room when projected."""

Spec = dict[str, Any]
"""A Vega-Lite spec. A top-level one carries its data as pandas frames in ``datasets``
(``{"data": {"name": …}}`` refers to them): Arrow for the screen (``chart_view``), records for
vl-convert (``exports.files.vega_spec``). Specs are shared between sessions: never mutate one,
copy the parts you change."""


# --- formats ----------------------------------------------------------------------------------


def metric_label(metric: str) -> str:
    """The Bahasa label of a metric key (the key itself if unknown, never an error)."""
    return METRIC_LABELS.get(metric, metric)


def value_formatter(metric: str) -> Callable[[float | None], str]:
    """The Python formatter for one metric's values, shared by text marks and tooltips."""
    if metric in SHARE_METRICS:
        return formatting.percent
    if metric.startswith("paid_idr"):
        return formatting.rupiah
    if metric.endswith(PER_1000):
        return formatting.rate_per_1000
    return formatting.number


def id_number_expr(value: str = "datum.value", spec: str = ",.0f") -> str:
    """A Vega expression formatting ``value`` with d3 ``spec``, then swapping ',' and '.'."""
    swapped = f"replace(format({value}, '{spec}'), regexp(',', 'g'), '#')"
    swapped = f"replace({swapped}, regexp('[.]', 'g'), ',')"
    return f"replace({swapped}, regexp('#', 'g'), '.')"


def axis_label_expr(metric: str) -> str:
    """Axis tick labels: ``12%``, ``1.500``, ``1,5 jt``, ``Rp72 M`` (short forms keep axes
    narrow; exact values are in the tooltips)."""
    if metric in SHARE_METRICS:
        return id_number_expr("datum.value", ".0~%")
    prefix = "'Rp' + " if metric.startswith("paid_idr") else ""
    if metric.endswith(PER_1000):  # small values: 0,25 per 1.000 in a week must not read "0"
        return f"{prefix}{id_number_expr('datum.value', ',.2~f')}"
    big = (
        f"abs(datum.value) >= 1e9 ? {id_number_expr('datum.value / 1e9', ',.1~f')} + ' M' : "
        f"abs(datum.value) >= 1e6 ? {id_number_expr('datum.value / 1e6', ',.1~f')} + ' jt' : "
        f"{id_number_expr('datum.value', ',.0f')}"
    )
    return f"{prefix}({big})"


def date_label_expr() -> str:
    """Dates on a time axis as ``6 Apr`` with Indonesian month abbreviations."""
    return f"date(datum.value) + ' ' + {MONTHS}[month(datum.value)]"


def short_date(value: object) -> str:
    """``2020-04-06`` → ``6 Apr 2020`` (tooltips)."""
    return formatting.short_date(pd.Timestamp(value).date())


TEXT = "#31333f"
"""Every word and number on a chart: 12.6:1 on white (Streamlit's chart theme writes them in
#808495, 3.7:1, below WCAG AA's 4.5:1, and pale on a projector). Streamlit lays its theme
under a spec's own ``config``, so these colours win."""
STYLE: Spec = {
    # Vega's generated ARIA labels are English ("X-axis for a time scale…") and read raw
    # floats; the tables beside the charts carry the same figures in Bahasa Indonesia.
    "aria": False,
    "axis": {
        "labelFontSize": FONT_SIZES["label"],
        "titleFontSize": FONT_SIZES["title"],
        "labelLimit": 260,
        "labelColor": TEXT,
        "titleColor": TEXT,
    },
    # Streamlit's theme makes the end labels flush, which lifts "0" above its gridline so a
    # line at zero looked below it; a y label centred on its gridline reads right.
    "axisY": {"labelFlush": False, "labelBaseline": "middle"},
    # a date label centred on a tick near the right end ("30 Agu") ran past the canvas edge,
    # where it was cut: such a label is left out (the ends themselves are drawn flush)
    "axisX": {"labelBound": True},
    "legend": {
        "labelFontSize": FONT_SIZES["label"],
        "titleFontSize": FONT_SIZES["title"],
        "labelColor": TEXT,
        "titleColor": TEXT,
    },
    "title": {
        "fontSize": FONT_SIZES["chart_title"],
        "subtitleFontSize": FONT_SIZES["subtitle"],
        "anchor": "start",
        "color": TEXT,
        "subtitleColor": TEXT,
    },
    "header": {
        "labelFontSize": FONT_SIZES["label"],
        "titleFontSize": FONT_SIZES["title"],
        "labelColor": TEXT,
        "titleColor": TEXT,
    },
    "text": {"color": TEXT},
    "view": {"stroke": None},
    "mark": {"description": "Bagian grafik; angkanya ada di tabel dan unduhan CSV"},
}
"""The shared style (Vega-Lite ``config``) of every chart."""


def top_level(view: Spec) -> Spec:
    """``view`` as a top-level spec with the shared style as its ``config``: each frame given
    as ``{"data": {"values": frame}}``, at any depth, moves to ``datasets`` under a name."""
    datasets: dict[str, pd.DataFrame] = {}

    def named(part: Any) -> Any:
        if isinstance(part, list):
            return [named(item) for item in part]
        if not isinstance(part, dict):
            return part
        data = part.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), pd.DataFrame):
            name = f"data-{len(datasets)}"
            datasets[name] = data["values"]
            part = {**part, "data": {"name": name}}
        return {key: named(value) for key, value in part.items()}

    spec = named(view)
    return {
        "$schema": alt.SCHEMA_URL,
        "config": STYLE,
        **spec,
        "datasets": datasets,
    }


def _field(field: str, kind: str, **options: object) -> Spec:
    """An encoding channel (``kind``: nominal, quantitative, temporal)."""
    return {"field": field, "type": kind, **options}


def _tooltip(field: str, title: str) -> Spec:
    return _field(field, "nominal", title=title)


TITLE_LINE_CHARS = {"text": 34, "subtitle": 46, "panel": 22, "panel_subtitle": 38, "axis": 30}
"""Longest title, subtitle and axis title lines: a chart on a 390 px phone is about 350 px wide
(its plot about 290 px), and Vega neither wraps nor shortens titles, so longer ones would be
cut off at the canvas edge. Trend panels sit three to a row on a laptop (about 290 px each),
hence their shorter lines."""


def _lines(text: str, width: int) -> str | list[str]:
    lines = textwrap.wrap(text, width, break_long_words=False)
    return lines[0] if len(lines) == 1 else lines


def axis_title(text: str) -> str | list[str]:
    """A horizontal axis title in lines that fit a phone's plot. Charts have no vertical axis
    titles: a y axis is only as long as its plot (a trend panel's 200 px cut "Menerima insentif
    per 1.000 penduduk"), so what the y axis measures is the first line under the chart's
    title instead (``measure`` of :func:`title_properties` and :func:`note_title`)."""
    return _lines(text, TITLE_LINE_CHARS["axis"])


def title_properties(
    title: str | None,
    subtitle: str | None = None,
    line_chars: int = TITLE_LINE_CHARS["text"],
    *,
    measure: str | None = None,
    subtitle_chars: int = TITLE_LINE_CHARS["subtitle"],
) -> Spec:
    """The title properties of an optional title (a chart without one gets none), wrapped into
    lines of at most ``line_chars`` so it fits its chart's width; ``measure`` (what the y axis
    shows) is the first line below it."""
    if not title:  # Vega draws no subtitle under an empty title: the notes alone, as plain text
        return {"title": note_title(subtitle or [], measure)} if subtitle or measure else {}
    # "What — where": the region goes under the title, so charts side by side have titles of
    # the same height (and plots in line) instead of one wrapping at half the page's width
    head, _dash, place = title.partition(" — ")
    below = [
        line
        for part in (place, measure, subtitle)
        if part
        for line in textwrap.wrap(part, subtitle_chars, break_long_words=False)
    ]
    text: Spec = {"text": _lines(head, line_chars)}
    if below:
        text["subtitle"] = below[0] if len(below) == 1 else below
    return {"title": text, "description": title}  # the description is the accessible name


def note_title(note: str | Sequence[str], measure: str | None = None) -> Spec:
    """A chart's notes in the place of a title, in the subtitle's size and weight; ``measure``
    (what the y axis shows) first, in bold."""
    lines = [note] if isinstance(note, str) else list(note)
    wrapped = [part for line in lines for part in textwrap.wrap(line, TITLE_LINE_CHARS["subtitle"])]
    if not measure:
        return {"text": wrapped, "fontSize": FONT_SIZES["subtitle"], "fontWeight": "normal"}
    title: Spec = {"text": textwrap.wrap(measure, TITLE_LINE_CHARS["subtitle"])}
    title.update({"fontSize": FONT_SIZES["title"], "subtitleFontSize": FONT_SIZES["subtitle"]})
    return {**title, "subtitle": wrapped} if wrapped else title


def _require(frame: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"'{argument}' lacks column(s) {missing}")


# --- empty, hidden and partial: said on the chart ------------------------------------------------

EMPTY_KEY = "pantauEmpty"
"""Key under the spec's ``usermeta`` holding why a chart has nothing to draw: screens and files
say that sentence instead of drawing an empty frame (:func:`empty_reason`)."""
NO_DATA_REASON = "Tidak ada data pada periode dan filter ini."


def empty_reason(values: pd.DataFrame | pd.Series, threshold: int | None = None) -> str | None:
    """Why a chart of ``values`` (its figure columns) would show nothing, or None: no figure
    above zero, because all of them are hidden (small cells) or there are none."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    numbers = frame.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)  # NA → NaN
    if (numbers > 0).any():
        return None
    if np.isnan(numbers).any():
        below = f"di bawah {threshold} " if threshold else "kecil "
        return (
            f"Semua angka di sini {below}orang, jadi disembunyikan untuk melindungi privasi: "
            "tidak ada yang dapat digambar. Perluas periode atau kurangi filter."
        )
    return NO_DATA_REASON


def with_empty_reason(spec: Spec, reason: str | None) -> Spec:
    """``spec`` carrying ``reason`` (if any) for :func:`chart_empty_reason`."""
    return {**spec, "usermeta": {EMPTY_KEY: reason}} if reason else spec


def chart_empty_reason(chart: Spec) -> str | None:
    """The sentence a chart built from nothing carries instead of its drawing."""
    meta = chart.get("usermeta")
    return meta.get(EMPTY_KEY) if isinstance(meta, dict) else None


def week_notes(series: pd.DataFrame, columns: Sequence[str], threshold: int | None) -> list[str]:
    """What a weekly line needs said: partial first or last weeks (``days`` < 7, drawn as
    hollow points: a lower figure there is not a drop) and gaps (hidden weeks)."""
    notes = []
    if "days" in series:
        parts = [
            f"{short_date(week).rsplit(' ', 1)[0]} ({days} hari)"
            for week, days in zip(series["week_start"], series["days"], strict=True)
            if pd.notna(days) and days < 7
        ]
        if parts:
            notes.append(f"Titik kosong: minggu tidak penuh dalam periode, {', '.join(parts)}")
    if any(series[column].hasnans for column in columns):
        below = f"di bawah {threshold}" if threshold else "kecil"
        notes.append(f"Garis terputus: minggu dengan jumlah {below} disembunyikan")
    return notes


def every_week(series: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``series`` with a row for every week between its first and last: a week without any
    row had nobody (0), and a line drawn straight across it would hide that. Hidden weeks
    stay NA (gaps, said by :func:`week_notes`)."""
    if series.empty:
        return series
    starts = pd.to_datetime(series["week_start"])
    weeks = pd.date_range(starts.min(), starts.max(), freq="7D")
    if len(weeks) == len(series):
        return series
    full = series.assign(week_start=starts).set_index("week_start").reindex(weeks)
    new = ~full.index.isin(starts)
    for column in [*columns, "days"]:  # only the new rows: hidden weeks (NA) stay gaps
        if column in full:
            full.loc[new, column] = 7 if column == "days" else 0
    return full.rename_axis("week_start").reset_index()


def partial_points(by_series: bool = False) -> Spec:
    """A layer of hollow points on the partial weeks of a line (``days`` < 7), in the line's
    blue or, ``by_series``, in each series' colour (the chart's colour encoding)."""
    layer: Spec = {
        "transform": [{"filter": "datum.days < 7"}],
        # no ARIA role: an empty group (no partial week) would be an image without a name
        "mark": {"type": "point", "filled": False, "size": 140, "strokeWidth": 2.5, "aria": False},
    }
    if not by_series:
        layer["mark"]["color"] = BLUE
    return layer


# --- charts -----------------------------------------------------------------------------------


def weekly_chart(
    series: pd.DataFrame,
    metrics: Sequence[str],
    title: str | None = None,
    *,
    width: int = 640,
    height: int = 300,
    threshold: int | None = None,
) -> Spec:
    """Lines per metric over ``week_start``; the legend names metrics in Bahasa. Partial weeks
    (a ``days`` column below 7) get hollow points and hidden weeks (gaps) a note below the
    title (:func:`week_notes`); a series with nothing to draw carries the reason instead."""
    _require(series, ["week_start", *metrics], "series")
    if "days" not in series:
        series = series.assign(days=7)
    series = every_week(series, metrics)
    long = series.melt(
        id_vars=["week_start", "days"],
        value_vars=list(metrics),
        var_name="metric",
        value_name="value",
    )
    long["metric_label"] = long["metric"].map(metric_label)
    long["week_text"] = long["week_start"].map(short_date)
    long["value_text"] = [
        value_formatter(m)(v) for m, v in zip(long["metric"], long["value"], strict=True)
    ]
    labels = [metric_label(m) for m in metrics]
    unit = metrics[0] if len(metrics) == 1 else "registrants"
    color = _field(
        "metric_label",
        "nominal",
        title=None,
        sort=labels,
        scale={"domain": labels, "range": SERIES_COLORS[: len(labels)]},
        legend={"orient": "top", "columns": 2, "labelLimit": 320},
    )
    notes = week_notes(series, metrics, threshold)
    line = {
        "mark": {"type": "line", "strokeWidth": 3, "description": "Garis tren mingguan per ukuran"}
    }
    whole = {
        "transform": [{"filter": "datum.days >= 7"}],
        "mark": {"type": "point", "filled": True, "size": 40, "aria": False},
    }
    spec = top_level(
        {
            "data": {"values": long},
            "layer": [line, whole, partial_points(by_series=True)],
            "encoding": {
                "x": _field(
                    "week_start",
                    "temporal",
                    title="Minggu mulai",
                    axis={"labelExpr": date_label_expr()},
                ),
                "y": _field(
                    "value", "quantitative", title=None, axis={"labelExpr": axis_label_expr(unit)}
                ),
                "color": color,
                "tooltip": [
                    _tooltip("week_text", "Minggu mulai"),
                    _tooltip("metric_label", "Ukuran"),
                    _tooltip("value_text", "Jumlah"),
                    _field("days", "quantitative", title="Hari dalam periode"),
                ],
            },
            **title_properties(title, "; ".join(notes) or None),
            "width": width,
            "height": height,
        }
    )
    return with_empty_reason(spec, empty_reason(series[list(metrics)], threshold))


def trend_panel(
    frame: pd.DataFrame,
    metric: str,
    title: str | None = None,
    y_max: float | None = None,
    *,
    width: int = 300,
    height: int = 200,
    threshold: int | None = None,
) -> Spec:
    """One region's weekly line (``week_start``, ``value``), a view to place in a top-level
    spec. ``y_max`` shares one scale among panels so sizes compare honestly; the line under the
    title says exactly what ``metric`` is."""
    _require(frame, ["week_start", "value"], "frame")
    frame = every_week(frame, ["value"])
    data = frame.assign(
        week_text=frame["week_start"].map(short_date),
        value_text=frame["value"].map(value_formatter(metric)),
    )
    if "days" not in data:
        data = data.assign(days=7)
    notes = week_notes(data, ["value"], threshold)
    y_axis = {"labelExpr": axis_label_expr(metric), "tickCount": 3}
    y = _field("value", "quantitative", title=None, axis=y_axis)
    if y_max:
        y["scale"] = {"domain": [0, y_max]}
    line = {
        "mark": {
            "type": "line",
            "strokeWidth": 2.5,
            "color": BLUE,
            "description": "Garis tren mingguan",
        }
    }
    return {
        "data": {"values": data},
        "layer": [line, partial_points()],
        "encoding": {
            "x": _field(
                "week_start",
                "temporal",
                title=None,
                axis={"labelExpr": date_label_expr(), "tickCount": 4},
            ),
            "y": y,
            "tooltip": [
                _tooltip("week_text", "Minggu mulai"),
                _tooltip("value_text", metric_label(metric)),
            ],
        },
        **title_properties(
            title,
            "; ".join(notes) or None,
            line_chars=TITLE_LINE_CHARS["panel"],
            measure=metric_label(metric),
            subtitle_chars=TITLE_LINE_CHARS["panel_subtitle"],
        ),
        "width": width,
        "height": height,
    }


def small_multiples(
    frame: pd.DataFrame, metric: str, title: str | None = None, *, columns: int = 3
) -> Spec:
    """The weekly line of each region (``region_name``), in the order the regions come, on
    one shared y scale: a single image for downloads (panels ``columns`` per row)."""
    return _multiples(region_panels(frame, metric), title, columns)


def _multiples(panels: list[Spec], title: str | None, columns: int = 3) -> Spec:
    return top_level({"concat": panels, "columns": columns, **title_properties(title)})


def region_panels(frame: pd.DataFrame, metric: str) -> list[Spec]:
    """One titled trend panel per region in the order given, sharing the y scale; shown one
    per column on screen, so a phone stacks them."""
    _require(frame, ["region_name", "week_start", "value"], "frame")
    top = float(frame["value"].max()) if frame["value"].notna().any() else 0.0
    names = list(dict.fromkeys(frame["region_name"]))
    return [
        trend_panel(frame[frame["region_name"] == name], metric, name, top or None)
        for name in names
    ]


def trend_views(frame: pd.DataFrame, metric: str, title: str) -> list[Spec]:
    """Bandingkan's trends from one set of panels: first the small multiples (the download),
    then each region's panel as a top-level spec with the shared style, as shown on its own; a
    region with nothing to draw carries the reason. (Building the panels twice, once per use,
    was a sixth of a Bandingkan run.)"""
    panels = region_panels(frame, metric)
    names = list(dict.fromkeys(frame["region_name"]))
    shown = [
        with_empty_reason(
            top_level(panel), empty_reason(frame.loc[frame["region_name"] == name, "value"])
        )
        for name, panel in zip(names, panels, strict=True)
    ]
    return [_multiples(panels, title), *shown]


FUNNEL_SUBTITLE = "(persen): bagian dari tahap sebelumnya"


BAR_ROW_PX = 40
"""One row of a horizontal bar chart: its category's name on a line of its own, the bar under
it. Names above the bars let the bars take the whole width on a 390 px phone, where a column
of names beside them took half of it ("Daerah Khusus Ibukota Jakarta" left the ranking's
longest bar 143 px)."""
ROW_NAME_SHIFT, BAR_SHIFT, BAR_BAND = -0.27, 0.2, 0.4
"""Within a row (its band of the y scale, in band widths from the middle): the name's middle,
the bar's middle, and the bar's thickness."""


def _bar_rows(order: list[str], field: str = "label") -> Spec:
    """The y channel of a horizontal bar chart: one row per category in the order given, named
    by :func:`_row_names` rather than an axis."""
    return _field(field, "nominal", title=None, sort=order, axis=None)


def _shift(part: float) -> Spec:
    """A vertical offset of ``part`` band widths (a Vega expression: the band follows the
    height the chart is drawn at)."""
    return {"expr": f"bandwidth('y') * {part}"}


def _bar_mark(**mark: object) -> Spec:
    """A bar in the lower part of its row, under the row's name."""
    return {"type": "bar", "height": {"band": BAR_BAND}, "yOffset": _shift(BAR_SHIFT), **mark}


def _row_names(y: Spec, text: str = "label") -> Spec:
    """The text layer naming each row, above its bar, from the left edge of the plot."""
    mark = {
        "type": "text",
        "align": "left",
        "baseline": "middle",
        "fontSize": FONT_SIZES["text"],
        "yOffset": _shift(ROW_NAME_SHIFT),
    }
    return {"mark": mark, "encoding": {"x": {"value": 0}, "y": y, "text": _field(text, "nominal")}}


_ROOM_RULE: Spec = {
    "mark": {"type": "rule", "opacity": 0, "aria": False},
    "encoding": {"x": _field("room", "quantitative")},
}


def _bar_text(y: Spec) -> Spec:
    """The text layer beside each bar (``text`` at ``text_x``)."""
    mark = {"type": "text", "align": "left", "baseline": "middle", "dx": 6}
    return {
        "mark": {**mark, "fontSize": FONT_SIZES["text"], "yOffset": _shift(BAR_SHIFT)},
        "encoding": {
            "x": _field("text_x", "quantitative"),
            "text": _field("text", "nominal"),
            "y": y,
        },
    }


def funnel_chart(
    funnel_frame: pd.DataFrame,
    title: str | None = None,
    *,
    width: int = 560,
    height: int = 240,
) -> Spec:
    """Horizontal bars per stage; the text gives the count and its share of the stage before.

    Counts may be suppressed (NA): such a stage shows its ``<N`` text only when the caller
    put it in a ``people_text`` column, and no bar.
    """
    _require(funnel_frame, ["label", "people", "share_of_previous"], "funnel_frame")
    data = funnel_frame.copy()
    if "people_text" not in data:
        data["people_text"] = data["people"].map(formatting.number)
    data["share_text"] = [
        "" if _missing(share) else f"{formatting.percent(share)} dari tahap sebelumnya"
        for share in data["share_of_previous"]
    ]
    data["text"] = [  # short, so it fits beside the bar on a phone; the subtitle explains (%)
        people if _missing(share) else f"{people} ({formatting.percent(share)})"
        for people, share in zip(data["people_text"], data["share_of_previous"], strict=True)
    ]
    data["bar"] = pd.to_numeric(data["people"], errors="coerce").astype(float)
    data["text_x"] = data["bar"].fillna(0.0)
    y = _bar_rows(list(data["label"]))
    bars = {
        "mark": _bar_mark(color=BLUE),
        "encoding": {
            "x": _field(
                "bar",
                "quantitative",
                title=axis_title("Orang"),
                axis={"labelExpr": axis_label_expr("registrants"), "tickCount": 4},
            ),
            "tooltip": [
                _tooltip("label", "Tahap"),
                _tooltip("people_text", "Orang"),
                _tooltip("share_text", "Konversi"),
            ],
            "y": y,
        },
    }
    data["room"] = (float(data["bar"].max()) if data["bar"].notna().any() else 1.0) * 1.45
    return top_level(
        {
            "data": {"values": data},
            "layer": [bars, _bar_text(y), _row_names(y), _ROOM_RULE],  # as in breakdown_chart
            **title_properties(title, FUNNEL_SUBTITLE),
            "width": width,
            "height": height,
        }
    )


def breakdown_chart(
    frame: pd.DataFrame,
    metric: str,
    title: str | None = None,
    suppressed_threshold: int | None = None,
    *,
    width: int = 480,
    height: int | None = None,
) -> Spec:
    """Horizontal bars per ``label``. A suppressed (NA) cell gets no bar, only ``<N`` text,
    so its value is never drawn."""
    _require(frame, ["label", metric], "frame")
    values = pd.to_numeric(frame[metric].astype("Float64"), errors="coerce").astype(float)
    hidden = values.isna()
    fmt = value_formatter(metric)
    hidden_text = f"<{suppressed_threshold}" if suppressed_threshold else formatting.NO_DATA
    data = pd.DataFrame(
        {
            "label": frame["label"].astype(str).to_numpy(),
            "bar": values.where(~hidden).to_numpy(),
            "text_x": values.fillna(0.0).to_numpy(),
            "text": [hidden_text if h else fmt(v) for h, v in zip(hidden, values, strict=True)],
        }
    )
    top = float(values.max()) if values.notna().any() else 1.0
    data["room"] = top * 1.3  # room for the text beside the longest bar
    y = _bar_rows(list(data["label"]))
    axis = (
        {"labelExpr": axis_label_expr(metric), "tickCount": 4, "tickMinStep": 1}
        if values.notna().any()
        else None
    )
    bars = {
        "mark": _bar_mark(color=BLUE),
        "encoding": {
            "x": _field(
                "bar",
                "quantitative",
                title=axis_title(metric_label(metric)),
                axis=axis,
            ),
            "tooltip": [_tooltip("label", "Kategori"), _tooltip("text", metric_label(metric))],
            "y": y,
        },
    }
    spec = top_level(
        {
            "data": {"values": data},
            # The x scale reaches the invisible rule at ``room``: a domain written into the
            # spec made every filter change a new spec, which Streamlit's frontend draws as a
            # new Vega view (compiled and laid out again) instead of new data in the same view
            "layer": [bars, _bar_text(y), _row_names(y), _ROOM_RULE],
            **title_properties(title),
            "width": width,
            "height": height or BAR_ROW_PX * max(len(data), 1),
        }
    )
    return with_empty_reason(spec, empty_reason(frame[metric], suppressed_threshold))


def ranking_chart(
    frame: pd.DataFrame,
    metric: str,
    title: str | None = None,
    average: float | None = None,
    highlight: Iterable[str] = (),
    *,
    hidden: Iterable[str] = (),
    suppressed_threshold: int = DEFAULT_THRESHOLD,
    width: int = 520,
    height: int | None = None,
) -> Spec:
    """Regions ranked by ``value`` (highest first), each named with its value above its bar,
    highlighted ones in orange, the national average as a dashed rule labelled with its value.
    Regions named in ``hidden`` have data that suppression hid: they read "disembunyikan
    (<10)", not the "–" of a region with nothing to count."""
    _require(frame, ["name", "value"], "frame")
    fmt = value_formatter(metric)
    picked = set(highlight)
    data = frame[["name", "value"]].copy()
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    data = data.sort_values("value", ascending=False, na_position="last")
    data["value_text"] = data["value"].map(fmt)
    data.loc[data["name"].isin(set(hidden)), "value_text"] = hidden_label(suppressed_threshold)
    data["group"] = ["Dipilih" if name in picked else "Lainnya" for name in data["name"]]
    data["row_name"] = data["name"] + ": " + data["value_text"]
    y = _bar_rows(list(data["name"]), "name")
    bars = {
        "mark": _bar_mark(),
        "encoding": {
            "y": y,
            "x": _field(
                "value",
                "quantitative",
                title=axis_title(metric_label(metric)),
                axis={"labelExpr": axis_label_expr(metric), "orient": "top", "tickCount": 5},
            ),
            "color": _field(
                "group",
                "nominal",
                scale={"domain": ["Dipilih", "Lainnya"], "range": [ORANGE, BLUE]},
                legend=None,
            ),
            "tooltip": [
                _tooltip("name", "Wilayah"),
                _tooltip("value_text", metric_label(metric)),
            ],
        },
    }
    view: Spec = {"data": {"values": data}, "layer": [bars, _row_names(y, "row_name")]}
    subtitle = None
    if average is not None and not _missing(average):
        subtitle = f"Garis putus-putus: rata-rata nasional {fmt(average)}"
        rule = {
            "data": {"values": pd.DataFrame({"value": [float(average)], "text": [subtitle]})},
            "mark": {"type": "rule", "color": "#333333", "strokeDash": [6, 4], "size": 2},
            "encoding": {
                "x": _field("value", "quantitative"),
                "tooltip": _tooltip("text", "Garis"),
            },
        }
        view = {"layer": [{"data": view["data"], "layer": view["layer"]}, rule]}
    spec = top_level(
        {
            **view,
            **title_properties(title, subtitle),
            "width": width,
            "height": height or BAR_ROW_PX * max(len(data), 1),
        }
    )
    return with_empty_reason(spec, empty_reason(frame["value"]))


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
