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
import pandas as pd

from dashboard import formatting
from dashboard.metric_options import DISTRICT_OPTIONS, METRIC_OPTIONS, PER_1000

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


STYLE: Spec = {
    # Vega's generated ARIA labels are English ("X-axis for a time scale…") and read raw
    # floats; the tables beside the charts carry the same figures in Bahasa Indonesia.
    "aria": False,
    "axis": {
        "labelFontSize": FONT_SIZES["label"],
        "titleFontSize": FONT_SIZES["title"],
        "labelLimit": 260,
    },
    "legend": {"labelFontSize": FONT_SIZES["label"], "titleFontSize": FONT_SIZES["title"]},
    "title": {
        "fontSize": FONT_SIZES["chart_title"],
        "subtitleFontSize": FONT_SIZES["subtitle"],
        "anchor": "start",
    },
    "header": {"labelFontSize": FONT_SIZES["label"], "titleFontSize": FONT_SIZES["title"]},
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


TITLE_LINE_CHARS = {"text": 34, "subtitle": 46, "panel": 22}
"""Longest title and subtitle lines: a chart on a 390 px phone is about 350 px wide, and Vega
neither wraps nor shortens titles, so longer ones would be cut off at the canvas edge. Trend
panels sit three to a row on a laptop (about 280 px each), hence their shorter lines."""


def _lines(text: str, width: int) -> str | list[str]:
    lines = textwrap.wrap(text, width, break_long_words=False)
    return lines[0] if len(lines) == 1 else lines


def _title(
    title: str | None, subtitle: str | None = None, line_chars: int = TITLE_LINE_CHARS["text"]
) -> Spec:
    """The title properties of an optional title (a chart without one gets none), wrapped into
    lines of at most ``line_chars`` so it fits its chart's width."""
    if not title:
        return {}
    text: Spec = {"text": _lines(title, line_chars)}
    if subtitle:
        text["subtitle"] = _lines(subtitle, TITLE_LINE_CHARS["subtitle"])
    return {"title": text, "description": title}  # the description is the accessible name


def _require(frame: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"'{argument}' lacks column(s) {missing}")


# --- charts -----------------------------------------------------------------------------------


def weekly_chart(
    series: pd.DataFrame,
    metrics: Sequence[str],
    title: str | None = None,
    *,
    width: int = 640,
    height: int = 300,
) -> Spec:
    """Lines per metric over ``week_start``; the legend names metrics in Bahasa."""
    _require(series, ["week_start", *metrics], "series")
    long = series.melt(
        id_vars="week_start", value_vars=list(metrics), var_name="metric", value_name="value"
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
    return top_level(
        {
            "data": {"values": long},
            "mark": {
                "type": "line",
                "point": True,
                "strokeWidth": 3,
                "description": "Garis tren mingguan per ukuran",
            },
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
                ],
            },
            **_title(title),
            "width": width,
            "height": height,
        }
    )


def trend_panel(
    frame: pd.DataFrame,
    metric: str,
    title: str | None = None,
    y_max: float | None = None,
    *,
    width: int = 300,
    height: int = 200,
) -> Spec:
    """One region's weekly line (``week_start``, ``value``), a view to place in a top-level
    spec. ``y_max`` shares one scale among panels so sizes compare honestly; the y title says
    exactly what ``metric`` is."""
    _require(frame, ["week_start", "value"], "frame")
    data = frame.assign(
        week_text=frame["week_start"].map(short_date),
        value_text=frame["value"].map(value_formatter(metric)),
    )
    y_axis = {
        "labelExpr": axis_label_expr(metric),
        "tickCount": 3,
        "titleLimit": height,
        "titleFontSize": 12,
    }
    y = _field("value", "quantitative", title=metric_label(metric), axis=y_axis)
    if y_max:
        y["scale"] = {"domain": [0, y_max]}
    return {
        "data": {"values": data},
        "mark": {
            "type": "line",
            "strokeWidth": 2.5,
            "color": BLUE,
            "description": "Garis tren mingguan",
        },
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
        **_title(title, line_chars=TITLE_LINE_CHARS["panel"]),
        "width": width,
        "height": height,
    }


def small_multiples(
    frame: pd.DataFrame, metric: str, title: str | None = None, *, columns: int = 3
) -> Spec:
    """The weekly line of each region (``region_name``), in the order the regions come, on
    one shared y scale: a single image for downloads (panels ``columns`` per row)."""
    return top_level({"concat": region_panels(frame, metric), "columns": columns, **_title(title)})


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


def styled_panels(frame: pd.DataFrame, metric: str) -> list[Spec]:
    """``region_panels`` as top-level specs with the shared style, for panels shown on their
    own."""
    return [top_level(panel) for panel in region_panels(frame, metric)]


FUNNEL_SUBTITLE = "(persen): bagian dari tahap sebelumnya"


def _bar_label_y(order: list[str], label_limit: int) -> Spec:
    """The y channel of a horizontal bar chart: its categories in the order given."""
    return _field("label", "nominal", title=None, sort=order, axis={"labelLimit": label_limit})


def _bar_text(y: Spec) -> Spec:
    """The text layer beside each bar (``text`` at ``text_x``)."""
    return {
        "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": FONT_SIZES["text"]},
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
    y = _bar_label_y(list(data["label"]), 280)
    bars = {
        "mark": {"type": "bar", "color": BLUE, "height": {"band": 0.7}},
        "encoding": {
            "x": _field(
                "bar",
                "quantitative",
                title="Orang",
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
    top = float(data["bar"].max()) if data["bar"].notna().any() else 1.0
    return top_level(
        {
            "data": {"values": data},
            "layer": [bars, _bar_text(y)],
            "resolve": {"scale": {"x": "shared"}},
            "encoding": {"x": {"scale": {"domain": [0, top * 1.75]}}},
            **_title(title, FUNNEL_SUBTITLE),
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
    y = _bar_label_y(list(data["label"]), 240)
    axis = (
        {"labelExpr": axis_label_expr(metric), "tickCount": 4, "tickMinStep": 1}
        if values.notna().any()
        else None
    )
    bars = {
        "mark": {"type": "bar", "color": BLUE},
        "encoding": {
            "x": _field(
                "bar",
                "quantitative",
                title=metric_label(metric),
                scale={"domain": [0, top * 1.3]},
                axis=axis,
            ),
            "tooltip": [_tooltip("label", "Kategori"), _tooltip("text", metric_label(metric))],
            "y": y,
        },
    }
    return top_level(
        {
            "data": {"values": data},
            "layer": [bars, _bar_text(y)],
            **_title(title),
            "width": width,
            "height": height or 36 * max(len(data), 1),
        }
    )


def ranking_chart(
    frame: pd.DataFrame,
    metric: str,
    title: str | None = None,
    average: float | None = None,
    highlight: Iterable[str] = (),
    *,
    width: int = 520,
    height: int | None = None,
) -> Spec:
    """Regions ranked by ``value`` (highest first), highlighted names in orange, the national
    average as a dashed rule labelled with its value."""
    _require(frame, ["name", "value"], "frame")
    fmt = value_formatter(metric)
    picked = set(highlight)
    data = frame[["name", "value"]].copy()
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    data = data.sort_values("value", ascending=False, na_position="last")
    data["value_text"] = data["value"].map(fmt)
    data["group"] = ["Dipilih" if name in picked else "Lainnya" for name in data["name"]]
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": _field(
                "name", "nominal", title=None, sort=list(data["name"]), axis={"labelLimit": 260}
            ),
            "x": _field(
                "value",
                "quantitative",
                title=metric_label(metric),
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
    view: Spec = {"data": {"values": data}, "layer": [bars]}
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
        view = {"layer": [{**bars, "data": view["data"]}, rule]}
    return top_level(
        {
            **view,
            **_title(title, subtitle),
            "width": width,
            "height": height or 26 * max(len(data), 1),
        }
    )


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
