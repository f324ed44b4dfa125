"""Show Altair charts at the height their specs ask for, and lay several out in rows.

Streamlit 1.67 collapses layered Altair charts to almost no height under its default
``height="content"`` (seen in our screenshots: overlapping bar labels). Passing the pixel
height explicitly, plus room for the title, axis and legend, draws them as designed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

import altair as alt
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from dashboard.charts import AnyChart
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


def _title_lines(chart: AnyChart) -> int:
    title = getattr(chart, "title", None)
    lines = 0
    for part in (getattr(title, "text", None), getattr(title, "subtitle", None)):
        lines += len(part) if isinstance(part, list) else int(isinstance(part, str))
    return max(lines, 1)


def _part(spec: object, name: str) -> Any:
    """One property of an Altair object (Undefined when unset); item access, because
    attribute access on a channel returns a setter."""
    if isinstance(spec, alt.SchemaBase):
        return spec._kwds.get(name, alt.Undefined)
    return alt.Undefined


def _top_legend_px(chart: AnyChart) -> int:
    rows = _top_legend_rows(chart)
    return LEGEND_PX + LEGEND_ROW_PX * rows if rows else 0


def _top_legend_rows(chart: AnyChart) -> int:
    """Rows of a colour legend drawn above the plot. Streamlit fits the whole chart into the
    height it is given, so rows not counted here are taken from the plot: the weekly trend's
    two legend rows squashed its lines onto the "0" label."""
    encoding = getattr(chart, "encoding", alt.Undefined)  # a layered chart has none
    color = _part(encoding, "color")
    legend = _part(color, "legend")
    if _part(legend, "orient") != "top":
        return 0
    domain, columns = _part(_part(color, "scale"), "domain"), _part(legend, "columns")
    if domain is alt.Undefined or columns is alt.Undefined:
        return 1
    return math.ceil(len(domain) / columns)


class Built:
    """A chart built once and shared between sessions, with the Vega-Lite spec Streamlit
    sends for it, converted on its first showing.

    Converting (``to_dict``: deep copies and JSON-schema validation) was half of what
    ``st.altair_chart`` cost per chart. The spec is Streamlit's own conversion (its Altair lock,
    its theme, the data as Arrow), so ``st.vega_lite_chart`` sends exactly what
    ``st.altair_chart`` would; two sessions converting at once just do it twice."""

    def __init__(self, chart: AnyChart) -> None:
        self.chart = chart
        self._spec: dict | None = None

    def spec(self) -> dict:
        if self._spec is None:
            self._spec = _convert_altair_to_vega_lite_spec(self.chart)
        return self._spec


@st.cache_resource(ttl=cache_ttl_seconds(), max_entries=1024, show_spinner=False)
def _built(_builder: Callable, name: str, args: tuple, kwargs: tuple) -> Built | list[Built]:
    result = _builder(*args, **dict(kwargs))
    return [Built(chart) for chart in result] if isinstance(result, list) else Built(result)


@overload
def built(builder: Callable[..., AnyChart], *args: object, **kwargs: object) -> Built: ...
@overload
def built(
    builder: Callable[..., list[AnyChart]], *args: object, **kwargs: object
) -> list[Built]: ...
def built(
    builder: Callable[..., AnyChart | list[AnyChart]],
    *args: object,
    **kwargs: object,
) -> Built | list[Built]:
    """``builder(*args, **kwargs)``, built once per distinct input in this process.

    Building Altair objects (deep copies, layering, schema validation) was half of a Daerah
    Saya rerun's CPU and a third of Bandingkan's, and many tabs show the same views. The
    inputs are the protected frames from ``dashboard.data``, so a new store version or other
    filters give other frames and another chart. Callers only read the shared chart
    (``properties()`` returns a new object)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    return _built(builder, name, args, tuple(sorted(kwargs.items())))


def show_chart(chart: AnyChart | Built) -> None:
    """The chart at its spec's height; a ``Built`` one from its converted spec."""
    altair_chart = chart.chart if isinstance(chart, Built) else chart
    # Read the attribute, not chart.to_dict(): to_dict() outside Streamlit's Altair lock races
    # other sessions' st.altair_chart calls (seen under load: TypeError in the transformer).
    height = getattr(altair_chart, "height", None)
    size: dict[str, Any] = {"width": "stretch"}
    if isinstance(height, int):
        extra = TITLE_LINE_PX * (_title_lines(altair_chart) - 1) + _top_legend_px(altair_chart)
        size["height"] = height + CHROME_PX + extra
    if isinstance(chart, Built):
        st.vega_lite_chart(spec=chart.spec(), **size)
    else:
        st.altair_chart(chart, **size)


def in_rows(items: Sequence[T], per_row: int) -> Iterator[tuple[DeltaGenerator, T]]:
    """Each item with the column to draw it in, ``per_row`` side by side, row by row in the
    order given. Streamlit stacks columns on a phone, so there items come one per row, still
    in that order (one set of columns for all items would stack column by column)."""
    for start in range(0, len(items), per_row):
        row = items[start : start + per_row]
        yield from zip(st.columns(per_row), row, strict=False)
