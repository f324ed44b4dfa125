"""What a new user reads on every screen: one clock (WIB, written) on screens and exports,
Indonesian dates, synthetic per-capita rates at the programme's magnitudes, comparison charts
that say what they show."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest
from conftest import TEST_SCALE
from test_app_screens import PERIOD, _texts, run

from dashboard import charts, formatting, outreach_view
from dashboard.exports import files
from dashboard.exports.context import as_of_text
from dashboard.metric_options import BY_KEY, trend_measure
from geo import regions
from queries import metrics
from queries.filters import Filters
from synthetic.calibration import PUBLISHED_TOTALS

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def test_one_moment_reads_the_same_in_any_server_zone() -> None:
    moment = datetime(2026, 11, 28, 19, 50, tzinfo=UTC)
    seen = {
        formatting.timestamp(moment),
        formatting.timestamp(moment.astimezone(timezone(timedelta(hours=-5)))),
        formatting.timestamp(moment.replace(tzinfo=None)),  # naive = UTC, as the store writes
        formatting.timestamp(moment.isoformat()),
    }
    assert seen == {"29 November 2026 02.50 WIB"}


def test_screen_and_export_show_the_same_refresh_time(app_env, sqlite_replica) -> None:
    meta = sqlite_replica.store().meta()
    export_line = as_of_text(meta)
    at = run("tentang-data")
    texts = _texts(at)
    assert export_line.removeprefix("Data per ") in texts
    assert "WIB" in texts
    assert not ISO_DATE.search(texts), ISO_DATE.findall(texts)
    assert formatting.period(meta["data_from"], meta["data_until"]) in texts


def test_synthetic_rates_have_the_programmes_magnitude(sqlite_replica) -> None:
    """About 59 registrants per 1,000 people in the programme, at any demo scale."""
    store = sqlite_replica.store()
    provinces = metrics.region_metrics(store, Filters(*PERIOD), "province")
    rate = provinces["registrants"].sum() / provinces["population"].sum() * 1000
    programme = PUBLISHED_TOTALS["registrants"] / regions.provinces()["population"].sum() * 1000
    assert 50 < programme < 70
    assert abs(rate - programme) / programme < 0.02
    assert store.meta()["population_scale"] == f"{TEST_SCALE:g}"


def test_tentang_data_says_how_rates_are_scaled(app_env) -> None:
    texts = _texts(run("tentang-data"))
    assert "per 1.000 penduduk tetap sebesar angka program" in texts
    # the outreach effect's verdict rules, and the calibration (not run on this store yet)
    assert "lebih lebar dari 50 poin: **data belum cukup**" in texts
    assert "**sudah berbeda sebelum kegiatan**" in texts
    assert "Kalibrasi belum dijalankan pada data ini" in texts


def test_per_capita_trend_panels_say_what_they_show_in_the_order_picked() -> None:
    weeks = pd.date_range("2020-04-06", periods=4, freq="7D")
    picked = ["Jawa Timur", "Aceh", "Jawa Barat"]  # not alphabetical
    frame = pd.concat(
        [
            pd.DataFrame({"week_start": weeks, "value": [0.03, 0.2, 0.11, 0.05], "region_name": n})
            for n in picked
        ],
        ignore_index=True,
    )
    key = trend_measure(BY_KEY["registrants_per_1000"], per_capita=False)
    panels = charts.region_panels(frame, key)
    assert [panel["title"]["text"] for panel in panels] == picked
    assert panels[0]["title"]["subtitle"] == "Pendaftar per 1.000 penduduk"  # under the name
    y = panels[0]["encoding"]["y"]
    assert "',.2~f'" in y["axis"]["labelExpr"]  # 0,03 reads 0,03, not "0"
    assert y["scale"]["domain"] == [0, 0.2]  # one scale for all panels
    assert trend_measure(BY_KEY["recipient_rate"], per_capita=True) == "recipients_per_1000"
    assert charts.metric_label("recipients_per_1000") == "Penerima per 1.000 penduduk"


def _funnel() -> charts.Spec:
    frame = pd.DataFrame(
        {"label": ["Pendaftar", "Penerima"], "people": [100, 20], "share_of_previous": [1, 0.2]}
    )
    return charts.funnel_chart(frame)


def _impact() -> charts.Spec:
    weekly = pd.DataFrame(
        {"week_start": pd.to_datetime(["2020-06-01", "2020-06-08"]), "registrants": [40.0, 55.0]}
    )
    return outreach_view.impact_chart(weekly, [], date(2020, 7, 1), "pendaftar")


@pytest.mark.parametrize("build", [_funnel, _impact], ids=["funnel", "outreach impact"])
def test_charts_keep_their_reading_sizes_and_no_english_aria_labels(build) -> None:
    """``configure(aria=False)`` once replaced the whole config and dropped every font size."""
    config = files.vega_spec(build())["config"]  # as exported
    sizes = charts.FONT_SIZES
    assert config["aria"] is False
    assert config["axis"]["labelFontSize"] == sizes["label"]
    assert config["legend"]["titleFontSize"] == sizes["title"]
    assert config["title"]["fontSize"] == sizes["chart_title"]


def test_per_capita_switch_lives_in_the_url(app_env) -> None:
    at = run("bandingkan", {"per-kapita": "1", "prov": "35,11"})
    assert not at.exception
    assert at.toggle(key="bandingkan_per_kapita").value is True
    at.toggle(key="bandingkan_per_kapita").set_value(False).run()
    assert "per-kapita" not in at.query_params
    at.toggle(key="bandingkan_per_kapita").set_value(True).run()
    assert at.query_params["per-kapita"] == "1"
    assert at.header[0].value == "Angka berdampingan"
