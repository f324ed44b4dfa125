"""The kecamatan level (issue 20), data side: every regency's kecamatan, with its "kecamatan
tidak dikenal" row, equal direct SQL on the replica (SQLite and PostgreSQL) and add up exactly
to the regency, under several filters, in the query functions and in
``python -m queries.metrics --level district``; a replica without ``district_code`` still
works at regency level and says it has no kecamatan data."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fault_fixtures import WHOLE, FaultReplica
from sqlalchemy import bindparam
from test_store_matches_replica import FIRSTS, FULL, oracle_rows, oracle_sql

from geo.regions import (
    districts_of,
    dotted,
    is_known,
    normalize_code,
    regencies_of,
    region_level,
    region_name,
)
from queries import metrics
from queries.filters import Filters, from_query_params
from queries.store import Store

ROOT = Path(__file__).resolve().parents[1]
KECAMATAN = """
CASE WHEN p.district_code IN :known THEN p.district_code
     WHEN length(p.district_code) = 6 AND substr(p.district_code, 1, 4) = p.regency_code
          AND CAST(:regency AS VARCHAR) || substr(p.district_code, 5, 2) IN :known
     THEN CAST(:regency AS VARCHAR) || substr(p.district_code, 5, 2)
     ELSE CAST(:regency AS VARCHAR) || '??' END"""
"""A registrant's kecamatan cell, as the contract states it: one of the regency's kecamatan,
written with its current code or with the regency code the row carries, else the ``??``
row."""

DISTRICT_ORACLE = FIRSTS + (
    """, people AS (SELECT p.*, KECAMATAN AS kec FROM registrants p WHERE {person})
SELECT kec, 'registrants', COUNT(*) FROM people p
    WHERE {day_reg} BETWEEN :a AND :b GROUP BY kec
UNION ALL
SELECT kec, 'recipients', COUNT(*) FROM sel JOIN people p ON p.id = sel.registrant_id
    WHERE {day_sel} BETWEEN :a AND :b AND {wave} GROUP BY kec
UNION ALL
SELECT kec, 'completed', COUNT(*) FROM done JOIN people p ON p.id = done.registrant_id
    LEFT JOIN sel ON sel.registrant_id = done.registrant_id
    WHERE {day_done} BETWEEN :a AND :b AND {wave} GROUP BY kec
UNION ALL
SELECT kec, 'paid', COUNT(*) FROM first_paid fp JOIN people p ON p.id = fp.registrant_id
    LEFT JOIN sel ON sel.registrant_id = fp.registrant_id
    WHERE {day_fp} BETWEEN :a AND :b AND {wave} GROUP BY kec
UNION ALL
SELECT kec, 'paid_idr', SUM(ip.amount_idr) FROM incentive_payments ip
    JOIN people p ON p.id = ip.registrant_id
    LEFT JOIN sel ON sel.registrant_id = ip.registrant_id
    WHERE {day_ip} BETWEEN :a AND :b AND {wave} GROUP BY kec
""".replace("KECAMATAN", KECAMATAN)
)


def oracle_districts(kind: str, url: str, filters: Filters) -> dict[tuple[str, str], int]:
    """(kecamatan code, metric) → count, straight from the replica's rows, zeros left out."""
    assert filters.regency is not None
    sql, params, binds = oracle_sql(DISTRICT_ORACLE, kind, filters)
    params = {**params, "regency": filters.regency}
    params["known"] = districts_of(filters.regency)["code"].tolist()
    rows = oracle_rows(url, sql, params, [*binds, bindparam("known", expanding=True)])
    return {(code, metric): int(value) for code, metric, value in rows if value}


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {
        (code, metric): int(value)
        for code, row in frame.set_index("code")[list(metrics.METRICS)].iterrows()
        for metric, value in row.items()
        if value
    }


def _regency_row(store: Store, filters: Filters) -> dict[str, int]:
    assert filters.regency is not None
    regions = metrics.region_metrics(store, filters.with_region(filters.regency[:2]), "regency")
    row = regions.set_index("code").loc[filters.regency]
    return {metric: int(row[metric]) for metric in metrics.METRICS}


DISTRICT_FILTERS = [
    Filters(*FULL, region="3216"),
    Filters(date(2020, 5, 1), date(2020, 6, 17), region="3216", genders=("F",)),
    Filters(*FULL, region="3216", waves=(2, 5), channels=("online",)),
    Filters(date(2020, 6, 3), date(2020, 8, 20), region="3171", age_bands=("26-35",)),
    Filters(*FULL, region="3273", disability=False, age_bands=("18-25", "46-55")),
    Filters(*FULL, region="9301"),  # Papua Selatan: kecamatan written with the pre-2022 code
    Filters(date(2020, 7, 1), date(2020, 7, 1), region="3201", waves=(1, 4)),
]


@pytest.mark.parametrize("filters", DISTRICT_FILTERS, ids=lambda f: repr(f)[8:90])
def test_kecamatan_equal_direct_sql_and_add_up_to_their_regency(replica, filters) -> None:
    store = replica.store()
    frame = metrics.district_metrics(store, filters)
    regency = filters.regency
    assert list(frame["code"]) == [*districts_of(regency)["code"], f"{regency}??"]
    assert _cells(frame) == oracle_districts(replica.kind, replica.url, filters)
    assert frame[list(metrics.METRICS)].sum().to_dict() == _regency_row(store, filters)
    assert frame["registrants"].iloc[:-1].sum() > 0  # the kecamatan are known, not all '??'


def test_a_province_s_kecamatan_are_its_regencies_kecamatan(sqlite_replica) -> None:
    store = sqlite_replica.store()
    filters = Filters(date(2020, 5, 4), date(2020, 8, 9), region="35", genders=("M",))
    frame = metrics.district_metrics(store, filters)
    assert set(frame["regency_code"]) == set(regencies_of("35")["code"])
    for code, rows in frame.groupby("regency_code"):
        own = metrics.district_metrics(store, filters.with_region(code))
        pd.testing.assert_frame_equal(rows.reset_index(drop=True), own)
    assert (frame["known"] == ~frame["code"].str.endswith("??")).all()


def test_one_kecamatan_region_answers_for_that_kecamatan(sqlite_replica) -> None:
    store = sqlite_replica.store()
    filters = Filters(date(2020, 4, 20), date(2020, 7, 30), region="3216", waves=(3,))
    row = metrics.district_metrics(store, filters).set_index("code").loc["321609"]
    own = metrics.totals(store, filters.with_region("321609")).iloc[0]
    assert {m: int(own[m]) for m in metrics.METRICS} == {m: int(row[m]) for m in metrics.METRICS}
    weeks = metrics.weekly_series(store, filters.with_region("321609"))
    assert int(weeks["registrants"].sum()) == int(row["registrants"])
    genders = metrics.breakdown(store, filters.with_region("321609"), "gender")
    assert int(genders["recipients"].sum()) == int(row["recipients"])
    with pytest.raises(metrics.FilterError, match="kecamatan"):
        metrics.breakdown(store, filters.with_region("321609"), "platform")


def _cli(monkeypatch, capsys, replica, *args: str) -> list[dict[str, str]]:
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(replica.store_dir.parent))
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", replica.url)
    assert metrics.main(list(args)) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


CLI_FILTERS = [
    ("3216", ()),
    ("32.16", ("--from", "2020-05-06", "--to", "2020-07-19")),
    ("9301", ("--from", "2020-04-11", "--to", "2020-06-30")),
]


@pytest.mark.parametrize(("regency", "period"), CLI_FILTERS)
def test_the_district_csv_adds_up_to_the_regency_csv(
    replica, monkeypatch, capsys, regency, period
) -> None:
    rows = _cli(monkeypatch, capsys, replica, "--level", "district", "--regency", regency, *period)
    code = regency.replace(".", "")
    assert [row["code"] for row in rows] == [*districts_of(code)["code"], f"{code}??"]
    assert rows[-1]["name"] == "Kecamatan tidak dikenal"
    province = ("--province", code[:2])
    regencies = _cli(monkeypatch, capsys, replica, "--level", "regency", *province, *period)
    (own,) = [row for row in regencies if row["code"] == code]
    for metric in metrics.METRICS:
        assert sum(int(row[metric]) for row in rows) == int(own[metric]), metric
    dates = dict(zip(period[::2], period[1::2], strict=True))
    filters = Filters(
        date.fromisoformat(dates.get("--from", "2020-03-20")),
        date.fromisoformat(dates.get("--to", "2035-12-31")),
        region=code,
    )
    expected = oracle_districts(replica.kind, replica.url, filters)
    got = {(row["code"], m): int(row[m]) for row in rows for m in metrics.METRICS if int(row[m])}
    assert got == expected


def test_the_cli_says_what_is_missing_in_one_line(sqlite_replica, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(sqlite_replica.store_dir.parent))
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", sqlite_replica.url)
    assert metrics.main(["--level", "district"]) == 2
    assert capsys.readouterr().err.strip() == (
        "Galat: --level district memerlukan --regency KODE atau --province KODE."
    )
    assert metrics.main(["--level", "district", "--regency", "3299"]) == 2
    assert capsys.readouterr().err.strip().endswith("Kode wilayah tidak dikenal: 3299")


def test_a_replica_without_district_code_works_at_regency_level(
    faulty: FaultReplica, monkeypatch, capsys, boundary_cache
) -> None:
    """(``boundary_cache`` sets PRAKERJA_CACHE_DIR: without it the app below would start
    downloading the boundaries into the user's cache, as a first start does.)"""
    faulty.sync()
    with contextlib.closing(Store.open_current(faulty.store_dir)) as store:
        assert metrics.has_district_data(store)
    before = faulty.totals()
    faulty.execute("ALTER TABLE registrants DROP COLUMN district_code")
    report = faulty.sync()
    assert report.mode == "full"  # the copied kecamatan codes are void: everything again
    assert faulty.totals() == before
    with contextlib.closing(Store.open_current(faulty.store_dir)) as store:
        assert not metrics.has_district_data(store)
        filters = WHOLE.with_region("3216")
        frame = metrics.district_metrics(store, filters)
        assert frame[list(metrics.METRICS)].iloc[:-1].to_numpy().sum() == 0
        assert frame[list(metrics.METRICS)].iloc[-1].to_dict() == _regency_row(store, filters)
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(faulty.store_dir.parent))
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", faulty.url)
    assert metrics.main(["--level", "district", "--regency", "3216"]) == 0
    assert metrics.NO_DISTRICT_DATA in capsys.readouterr().err
    # Daerah Saya's kecamatan section says so in one line, and the rest of the page stands
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0")
    st.cache_resource.clear()  # the app's store and queries, cached for another data dir
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("../pages/daerah_saya.py")
    at.query_params["wilayah"] = "3216"
    at.run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if "kecamatan" in i.value] == [metrics.NO_DISTRICT_DATA]
    assert any(h.value == "Kecamatan di Kabupaten Bekasi" for h in at.header)
    assert any(h.value == "Angka Kabupaten Bekasi" for h in at.header)
    st.cache_resource.clear()  # leave no store of this data dir to the next test
    st.cache_data.clear()


def test_kecamatan_codes_are_regions() -> None:
    assert normalize_code("32.16.01") == normalize_code(" 321601 ") == "321601"
    assert (region_level("321601"), dotted("321601")) == ("district", "32.16.01")
    assert region_name("321601") == "Tarumajaya, Kabupaten Bekasi"
    assert is_known("321601") and not is_known("321600") and not is_known("3216??")
    filters = Filters(region="321601")
    assert (filters.province, filters.regency, filters.district) == ("32", "3216", "321601")
    assert Filters(region="3216").district is None
    # a shared link opens the kecamatan (Daerah Saya shows it); an unknown one is dropped
    parsed, notices = from_query_params({"wilayah": "32.16.01"}, default_to=date(2020, 9, 3))
    assert (parsed.region, notices) == ("321601", [])
    parsed, notices = from_query_params({"wilayah": "321699"}, default_to=date(2020, 9, 3))
    assert parsed.region == "ID" and notices == [
        "Parameter 'wilayah' diabaikan: Kode wilayah tidak dikenal: 321699"
    ]
