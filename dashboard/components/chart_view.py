"""Show charts (Vega-Lite specs, ``dashboard.charts``) at the height their specs ask for, and
lay several out in rows.

Streamlit 1.67 collapses layered charts to almost no height under its default
``height="content"`` (seen in our screenshots: overlapping bar labels). Passing the pixel
height explicitly, plus room for the title, axis and legend, draws them as designed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

import streamlit as st
from streamlit import dataframe_util
from streamlit.delta_generator import DeltaGenerator

from dashboard.cache_keys import HASH_FUNCS
from dashboard.charts import Spec, chart_empty_reason
from dashboard.settings import cache_ttl_seconds

T = TypeVar("T")

CHROME_PX = 120
"""Title, x axis with its title, and padding around the plot area."""
TITLE_LINE_PX = 26
"""Each further line of a wrapped title or subtitle."""
LEGEND_PX = 40
"""A legend drawn above the plot: its padding and the gap to the plot (measured in Chromium)."""
LEGEND_ROW_PX = 30
"""Each row of that legend."""
NARROW_PLOT_PX = 330
"""Below this plot width (a phone) a legend above the plot takes one column: two columns of
"Selesai pelatihan pertama" and "Menerima insentif" ran past a 390 px screen. The trend's
plot is 290 px wide there, 377 px in Nasional's half column at 1366 px."""


def _title_lines(chart: Spec) -> int:
    title = chart.get("title")
    lines = 0
    if isinstance(title, dict):
        for part in (title.get("text"), title.get("subtitle")):
            lines += len(part) if isinstance(part, list) else int(isinstance(part, str))
    return max(lines, 1)


def _top_legend_px(chart: Spec) -> int:
    rows = _top_legend_rows(chart)
    return LEGEND_PX + LEGEND_ROW_PX * rows if rows else 0


def _top_legend_rows(chart: Spec) -> int:
    """Rows of a colour legend drawn above the plot. Streamlit fits the whole chart into the
    height it is given, so rows not counted here are taken from the plot: the weekly trend's
    two legend rows squashed its lines onto the "0" label."""
    layers = [chart, *chart.get("layer", [])]  # a layered chart's legend is in its layers
    colors = (part.get("encoding", {}).get("color") for part in layers)
    color: Spec = next((c for c in colors if c), {})
    legend = color.get("legend")
    if not isinstance(legend, dict) or legend.get("orient") != "top":
        return 0
    domain, columns = color.get("scale", {}).get("domain"), legend.get("columns")
    if domain is None or columns is None:
        return 1
    return math.ceil(len(domain) / columns)


class Built:
    """A chart built once and shared between sessions, with the spec Streamlit sends for it:
    its frames converted to Arrow once, on its first showing (as ``st.altair_chart`` would
    convert them on every showing)."""

    def __init__(self, chart: Spec) -> None:
        self.chart = chart
        self._spec: Spec | None = None

    def spec(self) -> Spec:
        if self._spec is None:
            arrow = dataframe_util.convert_anything_to_arrow_bytes
            datasets = {name: arrow(frame) for name, frame in self.chart["datasets"].items()}
            self._spec = {**self.chart, "datasets": datasets}
        return self._spec


@st.cache_resource(
    ttl=cache_ttl_seconds(), max_entries=1024, show_spinner=False, hash_funcs=HASH_FUNCS
)
def _built(_builder: Callable, name: str, args: tuple, kwargs: tuple) -> Built | list[Built]:
    result = _builder(*args, **dict(kwargs))
    return [Built(chart) for chart in result] if isinstance(result, list) else Built(result)


@overload
def built(builder: Callable[..., Spec], *args: object, **kwargs: object) -> Built: ...
@overload
def built(builder: Callable[..., list[Spec]], *args: object, **kwargs: object) -> list[Built]: ...
def built(
    builder: Callable[..., Spec | list[Spec]],
    *args: object,
    **kwargs: object,
) -> Built | list[Built]:
    """``builder(*args, **kwargs)``, built once per distinct input in this process.

    Many tabs show the same views. The inputs are the protected frames from
    ``dashboard.data``, so a new store version or other filters give other frames and another
    chart. Callers only read the shared chart."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    return _built(builder, name, args, tuple(sorted(kwargs.items())))


def show_chart(chart: Spec | Built) -> None:
    """The chart at its spec's height, sent from its Arrow-converted spec; a chart with
    nothing to draw says why instead (``charts.empty_reason``), under its title."""
    shown = chart if isinstance(chart, Built) else Built(chart)
    reason = chart_empty_reason(shown.chart)
    if reason:
        title = shown.chart.get("description")
        st.info(f"**{title}**  \n{reason}" if isinstance(title, str) else reason)
        return
    height = shown.chart.get("height")
    size: dict[str, Any] = {"width": "stretch"}
    if isinstance(height, int):
        extra = TITLE_LINE_PX * (_title_lines(shown.chart) - 1) + _top_legend_px(shown.chart)
        size["height"] = height + CHROME_PX + extra
    spec = _one_legend_column_when_narrow(shown.spec())
    st.vega_lite_chart(spec=spec, **size)  # Streamlit copies it before moving data out


def _one_legend_column_when_narrow(spec: Spec) -> Spec:
    """The spec with its top legend's columns decided in the browser, from the drawn width
    (a Vega expression): the server does not know the screen."""
    color = spec.get("encoding", {}).get("color", {})
    legend = color.get("legend")
    if not isinstance(legend, dict) or not isinstance(legend.get("columns"), int):
        return spec
    columns = {"expr": f"width < {NARROW_PLOT_PX} ? 1 : {legend['columns']}"}
    narrow = {**color, "legend": {**legend, "columns": columns}}
    return {**spec, "encoding": {**spec["encoding"], "color": narrow}}


def in_rows(items: Sequence[T], per_row: int) -> Iterator[tuple[DeltaGenerator, T]]:
    """Each item with the column to draw it in, ``per_row`` side by side, row by row in the
    order given. Streamlit stacks columns on a phone, so there items come one per row, still
    in that order (one set of columns for all items would stack column by column)."""
    for start in range(0, len(items), per_row):
        row = items[start : start + per_row]
        yield from zip(st.columns(per_row), row, strict=False)
