"""Every screen runs on the embedded default without an exception; the KPI values shown equal
the query layer's for the same filters; bad URL parameters show a notice."""

from __future__ import annotations

import gc
import threading
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import formatting
from queries import metrics
from queries.filters import Filters
from queries.health import STATUS_FILE, record_failure
from queries.store import store_dir
from queries.sync import sync

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = {
    "nasional": "../pages/nasional.py",
    "bandingkan": "../pages/bandingkan.py",
    "daerah-saya": "../pages/daerah_saya.py",
    "tentang-data": "../pages/tentang_data.py",
}
PERIOD = (date(2020, 4, 11), date(2020, 9, 3))


def run(page: str, params: dict[str, str] | None = None) -> AppTest:
    """Open ``page`` as a shared link would: the default page straight from the URL; another
    page through the navigation, with the URL set before that page's first run."""
    at = AppTest.from_file(APP, default_timeout=120)
    if page != "nasional":
        at.run()
        at.switch_page(PAGES[page])
        for key in list(at.query_params):
            del at.query_params[key]
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def _texts(at: AppTest) -> str:
    parts = [element.value for element in (*at.markdown, *at.caption, *at.info, *at.warning)]
    return "\n".join(str(part) for part in parts)


@pytest.mark.parametrize("page", PAGES)
def test_each_screen_runs_and_says_synthetic(app_env, page: str) -> None:
    at = run(page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Data sintetis (demo)" in _texts(at)


def test_national_kpis_equal_the_query_layer(app_env, sqlite_replica) -> None:
    at = run("nasional")
    shown = {metric.label: metric.value for metric in at.metric}
    totals = metrics.totals(sqlite_replica.store(), Filters(*PERIOD)).iloc[0]
    assert shown["Pendaftar"] == formatting.compact(totals["registrants"])
    assert shown["Penerima"] == formatting.compact(totals["recipients"])
    assert shown["Selesai pelatihan"] == formatting.compact(totals["completed"])
    assert shown["Menerima insentif"] == formatting.compact(totals["paid"])
    assert shown["Insentif dibayar"] == formatting.rupiah_compact(totals["paid_idr"])


def test_filtered_url_drives_the_kpis(app_env, sqlite_replica) -> None:
    params = {"wilayah": "32", "jk": "F", "dari": "2020-05-01", "sampai": "2020-06-30"}
    at = run("nasional", params)
    assert not at.exception
    expected = metrics.totals(
        sqlite_replica.store(),
        Filters(date(2020, 5, 1), date(2020, 6, 30), genders=("F",), region="32"),
    ).iloc[0]
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Pendaftar"] == formatting.compact(expected["registrants"])
    assert at.query_params["wilayah"] == "32"


def test_national_view_runs_when_the_unknown_code_count_is_hidden(app_env) -> None:
    """A filter that leaves only a few unknown-code registrants hides that count (NA): the
    screen must skip its caption, not fail (it did, in every worker, after the #11 merge)."""
    from dashboard import data

    hidden = data.unknown_code_totals(Filters(*PERIOD, genders=("F",)))["registrants"]
    assert pd.isna(hidden), hidden  # the small test replica has such a cell
    at = run("nasional", {"jk": "F"})
    assert not at.exception, at.exception
    assert not any("kode wilayah tidak dikenal" in c.value for c in at.caption)


def test_bad_url_parameters_show_a_notice_not_a_traceback(app_env) -> None:
    params = {"wilayah": "'; DROP TABLE x; --", "dari": "2020-13-45", "metrik": "nik"}
    at = run("nasional", params)
    assert not at.exception
    notices = " ".join(info.value for info in at.info)
    assert "'wilayah' diabaikan" in notices
    assert "'dari' diabaikan" in notices
    assert "'metrik' diabaikan" in notices


def test_regency_view_suppresses_small_cells(app_env, sqlite_replica) -> None:
    at = run("daerah-saya", {"wilayah": "9301"})
    assert not at.exception, at.exception
    assert "<10" in " ".join(caption.value for caption in at.caption)


@pytest.fixture
def unreachable_replica(app_env, monkeypatch, sqlite_replica):
    """A replica URL nobody answers on, and a refresh interval that is always due."""
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", "postgresql://postgres@127.0.0.1:1/prakerja")
    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0.0001")
    yield
    import streamlit as st

    for thread in threading.enumerate():  # a refresh still running would record its failure
        if thread.name == "store-refresh":  # after the unlink below, for the next tests
            thread.join(timeout=120)
    st.cache_resource.clear()  # forget the refresher for the next tests
    (sqlite_replica.store_dir / STATUS_FILE).unlink(missing_ok=True)  # and the failure


def test_unreachable_replica_keeps_last_numbers_with_a_banner(unreachable_replica) -> None:
    at = run("nasional")
    before = {metric.label: metric.value for metric in at.metric}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the refresh runs in a background thread
        at.run()
        if at.error:
            break
        time.sleep(0.5)
    assert not at.exception
    assert "Penyegaran data gagal sejak" in at.error[0].value
    assert "Replika tidak dapat dijangkau" in at.error[0].value
    assert {metric.label: metric.value for metric in at.metric} == before


def test_malformed_replica_url_gives_one_clear_message(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))  # nothing built yet
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", "postgres//salah ketik")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "URL replika tidak valid" in at.error[0].value


def test_the_issues_small_cell_is_hidden_in_the_comparison_table(app_env, sqlite_replica) -> None:
    """The issue's screen (/daerah-saya?wilayah=3216&dari=…&sampai=…) on a day when Kabupaten
    Bekasi had 1–9 registrants: no table on the screen shows a count below 10."""
    store = sqlite_replica.store()
    day = next(
        day
        for day in pd.date_range("2020-04-11", "2020-09-03").date
        if 0 < metrics.totals(store, Filters(day, day, region="3216")).iloc[0]["registrants"] < 10
    )
    at = run("daerah-saya", {"wilayah": "3216", "dari": str(day), "sampai": str(day)})
    assert not at.exception, at.exception
    assert len(at.table) > 0
    for table in at.table:
        for value in table.value.to_numpy().ravel():
            text = str(value)
            if text.isdigit():  # formatted counts below 1.000 are plain digits
                assert int(text) == 0 or int(text) >= 10, (text, table.value)
    comparison = at.table[0].value  # one row per region, the picked regency first
    assert comparison["Pendaftar"].iloc[0] == "<10"


def test_any_refresh_failure_shows_its_reason_and_the_data_age(app_env, sqlite_replica) -> None:
    record_failure(
        sqlite_replica.store_dir,
        "Replika tidak sesuai kontrak data: tabel recipients atau salah satu kolomnya tidak ada.",
    )
    try:
        at = run("tentang-data")
    finally:
        (sqlite_replica.store_dir / STATUS_FILE).unlink()
    assert not at.exception
    banner = at.error[0].value
    assert "Penyegaran data gagal sejak" in banner and "tidak sesuai kontrak data" in banner
    assert "yang lalu" in banner
    assert "Semua baris replika memenuhi kontrak data." in _texts(at)


def test_a_writable_replica_role_is_refused_or_warned_when_accepted(
    app_env, pg_replica, monkeypatch, tmp_path
) -> None:
    import streamlit as st

    st.cache_resource.clear()  # the start-up check runs once per process
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", pg_replica.admin_url)  # a superuser
    at = run("tentang-data")
    assert not at.exception
    assert "Peran basis data replika dapat menulis" in at.error[0].value
    monkeypatch.setenv("PRAKERJA_ACCEPT_WRITABLE_REPLICA", "1")
    sync(pg_replica.admin_url, store_dir(tmp_path))
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))
    at = run("tentang-data")
    assert not at.exception and not at.error
    assert any("dapat menulis (superuser" in warning.value for warning in at.warning)
    st.cache_resource.clear()


@pytest.mark.parametrize("page", ["nasional", "daerah-saya"])
def test_offline_report_and_timelapse_are_offered(app_env, page: str) -> None:
    at = run(page)
    labels = [button.proto.label for button in at.get("download_button")]
    offered = {"Laporan HTML luring", "Peta selang waktu (GIF)", "Peta selang waktu (MP4)"}
    assert offered <= set(labels), labels


def test_daerah_saya_draws_only_its_open_section(app_env) -> None:
    """Daerah Saya's sections are tabs of which only the open one runs (issue #23 item 9: a
    view built all four, half of its CPU): a regency opens on its kecamatan, ``bagian``
    opens another section, a province has no kecamatan tab, a bad value is said."""
    at = run("daerah-saya", {"wilayah": "3273"})
    assert not at.exception, at.exception
    assert [tab.label for tab in at.tabs] == [
        "Kecamatan",
        "Rincian peserta",
        "Dampak sosialisasi",
        "Prioritas sosialisasi",
    ]
    headers = [header.value for header in at.header]
    assert "Kecamatan di Kota Bandung" in headers
    assert "Rincian peserta" not in headers and not any("Prioritas" in h for h in headers)
    assert at.get("vega_lite_chart") == []  # the breakdowns are not built
    assert "bagian" not in at.query_params  # the first section is the URL's default

    at = run("daerah-saya", {"wilayah": "3273", "bagian": "rincian"})
    assert not at.exception, at.exception
    headers = [header.value for header in at.header]
    assert "Rincian peserta" in headers and "Kecamatan di Kota Bandung" not in headers
    assert at.get("vega_lite_chart")  # the breakdowns
    assert at.query_params["bagian"] == "rincian"

    at = run("daerah-saya", {"wilayah": "32", "bagian": "prioritas"})
    assert at.tabs[0].label == "Rincian peserta"  # a province has no kecamatan tab
    assert "Prioritas sosialisasi di Jawa Barat" in [header.value for header in at.header]

    at = run("daerah-saya", {"wilayah": "3273", "bagian": "semua"})
    assert "Parameter 'bagian' diabaikan" in " ".join(str(i.value) for i in at.info)
    assert "Kecamatan di Kota Bandung" in [header.value for header in at.header]


def test_a_worker_puts_what_its_first_run_leaves_alive_out_of_the_collectors_reach(
    app_env,
) -> None:
    """Full garbage collections walked every module, table and internal object a worker
    holds, pausing all its sessions for up to 1.2 s under the load test: after its first run
    a worker freezes them (``gc.freeze``), and a full collection walks a fifth of them or
    less."""
    from dashboard import gc_tuning

    gc.unfreeze()
    gc_tuning.settle_after_first_run.clear()
    try:
        at = run("daerah-saya", {"wilayah": "3273"})
        assert not at.exception, at.exception
        walked, frozen = len(gc.get_objects()), gc.get_freeze_count()
        assert frozen > 4 * walked, (frozen, walked)
    finally:
        gc.unfreeze()
