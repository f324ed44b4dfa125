"""Charts built once and shown from their converted spec (``chart_view.built``) reach the
browser exactly as ``st.altair_chart`` sends them: the same Vega-Lite spec and Arrow data. The
conversion is Streamlit's own private function, so an upgrade that changes it fails here,
not on screen."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import pandas as pd
    import streamlit as st

    from dashboard import charts
    from dashboard.components import chart_view

    frame = pd.DataFrame({"label": ["Laki-laki", "Perempuan"], "registrants": [1234, pd.NA]})
    args = (frame, "registrants", "Jenis kelamin — Jawa Barat")
    chart_view.show_chart(charts.breakdown_chart(*args, suppressed_threshold=10))
    first = chart_view.built(charts.breakdown_chart, *args, suppressed_threshold=10)
    chart_view.show_chart(first)
    again = chart_view.built(charts.breakdown_chart, *args, suppressed_threshold=10)
    chart_view.show_chart(again)
    st.markdown(str(first is again))


def test_built_chart_is_sent_as_altair_would_send_it() -> None:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    plain, built, cached = (element.proto for element in at.get("vega_lite_chart"))
    assert built.spec == plain.spec and cached.spec == plain.spec
    assert [d.data.data for d in built.datasets] == [d.data.data for d in plain.datasets]
    assert [d.name for d in built.datasets] == [d.name for d in plain.datasets]
    assert "Jenis kelamin" in plain.spec and "<10" in str(plain.datasets)
    assert at.markdown[0].value == "True"  # the second call reused the first chart
