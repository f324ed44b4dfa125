"""What a filter change costs the browser, checked without timing it (issue #23 item 9;
``python -m bench.filter_latency`` measures the time): the kecamatan map's frame is kept when
the regency changes, a breakdown chart keeps its Vega-Lite spec when only its figures change
(Streamlit's frontend then updates the data of the same Vega view instead of building a new
one), and download rows add no column per button to every view."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from dashboard import charts

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
DAERAH_SAYA = "../pages/daerah_saya.py"


def _daerah_saya(region: str, section: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(DAERAH_SAYA)
    for key in list(at.query_params):
        del at.query_params[key]
    at.query_params["wilayah"] = region
    if section:
        at.query_params["bagian"] = section
    at.run()
    assert not at.exception, at.exception
    return at


def _kecamatan_map_id(at: AppTest) -> str:
    maps = [
        element.proto
        for element in at.get("component_instance")
        if '"district:' in element.proto.json_args
    ]
    assert len(maps) == 1, "one kecamatan map on a regency's Daerah Saya"
    return str(maps[0].id)


def _count(node: Node) -> int:
    children = node.children.values() if isinstance(node, Block) else ()
    return 1 + sum(_count(child) for child in children)


def test_the_kecamatan_map_frame_stays_when_the_regency_changes(app_env, boundary_cache) -> None:
    """Streamlit keeps a component's frame while its element id stays; the id comes from the
    key. Kota Bandung, then Kabupaten Bekasi picked in the same tab."""
    at = _daerah_saya("3273")
    bandung = _kecamatan_map_id(at)
    at.selectbox(key="daerah_kabupaten_32").set_value("3216").run()
    assert not at.exception, at.exception
    assert "wilayah=3216" in "&".join(f"{k}={v}" for k, v in at.query_params.items())
    assert _kecamatan_map_id(at) == bandung


def test_a_daerah_saya_view_sends_no_column_per_download_button(app_env, boundary_cache) -> None:
    at = _daerah_saya("3273", "rincian")
    buttons = at.get("download_button")
    assert len(buttons) >= 25  # rows of downloads under the map and the seven breakdowns
    elements = sum(_count(child) for child in at.main.children.values())
    assert len(at.columns) <= 12, f"{len(at.columns)} columns, {elements} elements"


def _breakdown(values: list[int | None]) -> charts.Spec:
    frame = pd.DataFrame({"label": ["Laki-laki", "Perempuan"], "registrants": values})
    return charts.breakdown_chart(
        frame.astype({"registrants": "Int64"}),
        "registrants",
        "Jenis kelamin — Jawa Barat",
        suppressed_threshold=10,
    )


def test_a_breakdown_chart_keeps_its_spec_when_its_figures_change() -> None:
    """Only the data differs between two filters' charts; the axis still leaves room for the
    text beside the longest bar (1.3 × the largest figure)."""
    before, after = _breakdown([1234, 900]), _breakdown([50, 4000])
    spec = {key: value for key, value in before.items() if key != "datasets"}
    assert spec == {key: value for key, value in after.items() if key != "datasets"}
    for chart, top in ((before, 1234), (after, 4000)):
        (frame,) = chart["datasets"].values()
        assert frame["room"].max() == top * 1.3
        assert frame["room"].max() >= frame["text_x"].max()
    hidden = _breakdown([1234, None])  # a hidden cell: no bar, "<10", the same room
    (frame,) = hidden["datasets"].values()
    assert frame["room"].max() == 1234 * 1.3


def _funnel(people: list[int]) -> charts.Spec:
    frame = pd.DataFrame(
        {
            "label": ["Pendaftar", "Penerima", "Pelatihan selesai", "Menerima insentif"],
            "people": people,
            "share_of_previous": [None] + [b / a for a, b in itertools.pairwise(people)],
        }
    )
    return charts.funnel_chart(frame, "Dari pendaftaran sampai insentif — Jawa Barat")


def test_the_funnel_keeps_its_spec_when_its_figures_change() -> None:
    """The funnel on Nasional and Daerah Saya redraws on every filter change, like the
    breakdowns: the same view with new data, its axis reaching 1.45 × the largest stage."""
    before, after = _funnel([5000, 900, 300, 200]), _funnel([80000, 20000, 9000, 7000])
    spec = {key: value for key, value in before.items() if key != "datasets"}
    assert spec == {key: value for key, value in after.items() if key != "datasets"}
    for chart, top in ((before, 5000), (after, 80000)):
        (frame,) = chart["datasets"].values()
        assert frame["room"].max() == top * 1.45
