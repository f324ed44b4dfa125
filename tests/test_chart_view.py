"""Charts built once and shown from their spec (``chart_view.built``) reach the browser as the
Vega-Lite spec ``dashboard.charts`` wrote, with each of its frames as an Arrow dataset of the
same name, and a second showing reuses the first chart."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from dashboard import charts

FRAME = pd.DataFrame({"label": ["Laki-laki", "Perempuan"], "registrants": [1234, pd.NA]})
ARGS = (FRAME, "registrants", "Jenis kelamin — Jawa Barat")


def _script() -> None:
    import streamlit as st
    from test_chart_view import ARGS

    from dashboard import charts
    from dashboard.components import chart_view

    first = chart_view.built(charts.breakdown_chart, *ARGS, suppressed_threshold=10)
    chart_view.show_chart(first)
    again = chart_view.built(charts.breakdown_chart, *ARGS, suppressed_threshold=10)
    chart_view.show_chart(again)
    st.markdown(str(first is again))


def test_built_chart_is_sent_as_its_spec_with_arrow_data() -> None:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    shown, cached = (element.proto for element in at.get("vega_lite_chart"))
    assert cached.spec == shown.spec and cached.datasets == shown.datasets
    chart = charts.breakdown_chart(*ARGS, suppressed_threshold=10)
    expected = {key: value for key, value in chart.items() if key != "datasets"}
    fit = {"autosize": {"type": "fit", "contains": "padding"}}  # Streamlit's, for the width
    assert json.loads(shown.spec) == {**json.loads(json.dumps(expected)), **fit}
    assert [d.name for d in shown.datasets] == list(chart["datasets"])
    sent = pa.ipc.open_stream(shown.datasets[0].data.data).read_all().to_pandas()
    pd.testing.assert_frame_equal(sent, next(iter(chart["datasets"].values())))
    assert list(sent["text"]) == ["1.234", "<10"]  # the hidden cell is text, never a bar
    assert sent["bar"].isna().tolist() == [False, True]
    assert at.markdown[0].value == "True"  # the second call reused the first chart


def _reuse_script() -> None:
    import pickle

    import pandas as pd
    import streamlit as st
    from test_chart_view import ARGS, FRAME

    from dashboard import charts
    from dashboard.components import chart_view

    def build(frame: pd.DataFrame) -> chart_view.Built:
        return chart_view.built(charts.breakdown_chart, frame, *ARGS[1:], suppressed_threshold=10)

    first = build(FRAME)
    other_cell = FRAME.assign(registrants=pd.array([1235, pd.NA], dtype="Int64"))
    other_dtype = FRAME.assign(registrants=FRAME["registrants"].astype("Float64"))
    results = [
        build(pickle.loads(pickle.dumps(FRAME))) is first,  # as st.cache_data returns it
        build(other_cell) is first,
        build(other_dtype) is first,
    ]
    st.markdown(" ".join(map(str, results)))


def test_an_equal_frame_reuses_the_chart_and_another_cell_or_dtype_does_not() -> None:
    """Frames are keyed by their contents (``dashboard.cache_keys``), not Streamlit's hash."""
    at = AppTest.from_function(_reuse_script, default_timeout=60).run()
    assert not at.exception
    assert at.markdown[0].value == "True False False"


def test_a_legend_above_a_layered_chart_gets_its_own_height() -> None:
    """The outreach trend's legend sits in one of its layers: its row counts towards the height
    Streamlit is given (uncounted, it was taken from the plot and squashed the lines)."""
    from datetime import date

    from dashboard import outreach_view
    from dashboard.components import chart_view

    weekly = pd.DataFrame(
        {"week_start": pd.to_datetime(["2020-06-01", "2020-06-08"]), "registrants": [4.0, 5.0]}
    )
    chart = outreach_view.impact_chart(weekly, [], date(2020, 7, 1), "pendaftar luring")
    legend = chart_view.LEGEND_PX + chart_view.LEGEND_ROW_PX
    assert chart_view._top_legend_px(chart) == legend
    assert chart["title"]["text"] == ["Pendaftar luring per minggu"]  # the y axis, said above
    assert chart["layer"][0]["encoding"]["y"]["title"] is None
