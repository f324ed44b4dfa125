"""Show an Altair chart at the height its spec asks for.

Streamlit 1.67 collapses layered Altair charts to almost no height under its default
``height="content"`` (seen in our screenshots: overlapping bar labels). Passing the pixel
height explicitly, plus room for the title, axis and legend, draws them as designed.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

CHROME_PX = 120
"""Title, x axis with its title, and padding around the plot area."""


def show_chart(chart: alt.TopLevelMixin) -> None:
    # Read the attribute, not chart.to_dict(): to_dict() outside Streamlit's Altair lock races
    # other sessions' st.altair_chart calls (seen under load: TypeError in the transformer).
    height = getattr(chart, "height", None)
    if isinstance(height, int):
        st.altair_chart(chart, width="stretch", height=height + CHROME_PX)
    else:
        st.altair_chart(chart, width="stretch")
