"""The analytics store: reconciliation, incremental refresh, versions, calibration."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from datetime import date

import duckdb
import pandas as pd
import pytest
from conftest import TEST_SCALE, reader_url

from geo.vintages import UNKNOWN
from queries import metrics
from queries.facts import TABLES
from queries.filters import FilterError, Filters
from queries.store import (
    LEASE_DIR,
    Store,
    StoreCorruptError,
    check_readable,
    current_version,
    prune_versions,
    store_dir,
)
from queries.sync import sync
from synthetic import generator, registrants

FULL = Filters(date(2020, 4, 11), date(2020, 9, 3))


def test_regencies_sum_to_province_and_provinces_to_nation(replica) -> None:
    store = replica.store()
    nation = metrics.totals(store, FULL).iloc[0]
    unknown = metrics.unknown_code_totals(store, FULL).iloc[0]
    provinces = metrics.region_metrics(store, FULL, "province")
    assert len(provinces) == 38
    for metric in metrics.METRICS:
        assert provinces[metric].sum() + unknown[metric] == nation[metric], metric
    # The one-query group the screens protect: the same provinces, then the unknown-code row.
    for filters in (FULL, FULL.with_region("3273"), Filters(date(2020, 6, 1), date(2020, 6, 3))):
        group = metrics.province_groups(store, filters)
        pd.testing.assert_frame_equal(
            group.iloc[:-1], metrics.region_metrics(store, filters, "province")
        )
        assert group["code"].iloc[-1] == UNKNOWN
        last = group[list(metrics.METRICS)].iloc[-1]
        assert last.tolist() == metrics.unknown_code_totals(store, filters).iloc[0].tolist()
        whole = group[list(metrics.METRICS)].sum()
        assert whole.tolist() == metrics.totals(store, filters.with_region("ID")).iloc[0].tolist()
    for code in ("32", "94", "65"):
        in_province = FULL.with_region(code)
        regency_rows = metrics.region_metrics(store, in_province, "regency")
        province_row = provinces.set_index("code").loc[code]
        for metric in metrics.METRICS:
            assert regency_rows[metric].sum() == province_row[metric], (code, metric)


def test_unknown_codes_are_counted_not_dropped(sqlite_replica) -> None:
    store = sqlite_replica.store()
    codes = metrics.unknown_codes(store)
    assert set(codes["source_code"]) <= set(registrants.INVALID_CODES)
    unknown = metrics.unknown_code_totals(store, FULL).iloc[0]
    assert codes["registrants"].sum() == unknown["registrants"] > 0


def test_calibration_totals_are_proportional_at_test_scale(sqlite_replica) -> None:
    totals = metrics.totals(sqlite_replica.store(), FULL).iloc[0]
    target = generator.target_counts(TEST_SCALE)
    assert totals["registrants"] == target["registrants"]
    assert totals["recipients"] == target["recipients"]
    assert totals["completed"] == target["completed"]
    assert totals["paid"] == target["paid"]
    # 4 × Rp600.000 monthly plus at most 3 × Rp50.000 surveys per paid person.
    assert target["paid"] * 600_000 <= totals["paid_idr"] <= target["paid"] * 2_550_000


def test_demo_profile_matches_published_shares(sqlite_replica) -> None:
    store = sqlite_replica.store()
    gender = metrics.breakdown(store, FULL, "gender").set_index("value")["registrants"]
    assert 0.49 < gender["F"] / gender.sum() < 0.53
    ages = metrics.breakdown(store, FULL, "age_band").set_index("value")["registrants"]
    assert ages.idxmax() == "26-35"
    waves = metrics.breakdown(store, FULL, "wave")
    assert list(waves["value"]) == [1, 2, 3, 4, 5, 6]
    partners = metrics.breakdown(store, FULL, "partner")
    assert list(partners["value"]) == ["BNI", "OVO", "LinkAja", "GoPay"]
    assert len(metrics.breakdown(store, FULL, "platform")) == 7


PERIODS = [
    (date(2020, 6, 3), date(2020, 6, 3)),  # one Wednesday
    (date(2020, 6, 2), date(2020, 6, 6)),  # inside one week
    (date(2020, 6, 8), date(2020, 6, 14)),  # exactly one week, Monday to Sunday
    (date(2020, 6, 7), date(2020, 6, 15)),  # a whole week with a day either side
    (date(2020, 4, 11), date(2020, 9, 3)),  # the published period, days at both ends
    (date(2020, 3, 20), date(2035, 12, 31)),  # from the launch to the farthest day allowed
]
SUMS_BY_DAY = """
SELECT {column} AS value, sum(registrants) AS registrants, sum(recipients) AS recipients,
       sum(completed) AS completed, sum(paid) AS paid, sum(paid_idr) AS paid_idr
FROM facts WHERE day BETWEEN $date_from AND $date_to AND province_code = '35'
    AND gender = 'F' AND {waves} AND {rows}
GROUP BY value ORDER BY value
"""
"""The figures summed straight from the daily ``facts``, independently of the weekly tables."""
GROUPINGS = {
    "weekly_series": ("CAST(date_trunc('week', day) AS DATE)", "TRUE"),
    "wave": ("wave", "wave IS NOT NULL"),
    "platform": ("platform_id", "platform_id IS NOT NULL"),
    "partner": ("partner_id", "partner_id IS NOT NULL"),
}


def _by_day(store: Store, period: tuple, waves: tuple[int, ...], grouping: str) -> pd.DataFrame:
    column, rows = GROUPINGS[grouping]
    wave_rows = f"(wave IS NULL OR wave IN {waves})" if waves else "TRUE"
    sql = SUMS_BY_DAY.format(column=column, waves=wave_rows, rows=rows)
    return store.query(sql, {"date_from": period[0], "date_to": period[1]})


@pytest.mark.parametrize("waves", [(), (2, 3)], ids=["all waves", "waves 2-3"])
@pytest.mark.parametrize("period", PERIODS, ids=lambda period: f"{period[0]}..{period[1]}")
def test_whole_weeks_and_end_days_add_up_to_the_daily_rows(sqlite_replica, period, waves) -> None:
    """A period is read as whole weeks from a weekly table plus its end days from ``facts``
    (``metrics.PERIOD_ROWS``): the same figures as summing ``facts`` day by day, whatever
    weekday the period starts and ends on, and whichever weekly table the query reads."""
    store = sqlite_replica.store()
    filters = Filters(period[0], period[1], region="35", waves=waves, genders=("F",))
    for grouping in GROUPINGS:
        expected = _by_day(store, period, waves, grouping)
        if grouping == "weekly_series":
            got = metrics.weekly_series(store, filters)
        else:
            got = metrics.breakdown(store, filters, grouping)
        assert len(got) == len(expected), grouping
        for metric in metrics.METRICS:
            assert list(got[metric]) == list(expected[metric]), (grouping, metric)
        if grouping == "weekly_series":
            assert list(got["week_start"]) == list(expected["value"])
            totals = metrics.totals(store, filters).iloc[0]
            assert [totals[m] for m in metrics.METRICS] == [
                expected[m].sum() for m in metrics.METRICS
            ]


def test_empty_date_range_gives_zeros(replica) -> None:
    before_registration = Filters(date(2020, 3, 20), date(2020, 4, 10))
    totals = metrics.totals(replica.store(), before_registration).iloc[0]
    assert all(totals[m] == 0 for m in metrics.METRICS)
    assert metrics.weekly_series(replica.store(), before_registration).empty
    regions = metrics.region_metrics(replica.store(), before_registration, "regency")
    assert len(regions) == 514 and regions["registrants"].sum() == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"date_from": date(2020, 9, 1), "date_to": date(2020, 5, 1)},
        {"date_from": date(1999, 1, 1), "date_to": date(2020, 5, 1)},
        {"region": "3299"},
        {"region": "'; DROP TABLE facts; --"},
        {"genders": ("X",)},
        {"waves": (0,)},
        {"age_bands": ("10-15",)},
    ],
)
def test_invalid_filters_raise_the_clear_error(kwargs) -> None:
    with pytest.raises(FilterError) as error:
        Filters(**{"date_from": date(2020, 4, 11), "date_to": date(2020, 9, 3), **kwargs})
    assert str(error.value) and "Traceback" not in str(error.value)


def test_unknown_breakdown_and_level_raise_filter_error(sqlite_replica) -> None:
    with pytest.raises(FilterError):
        metrics.breakdown(sqlite_replica.store(), FULL, "nik")
    with pytest.raises(FilterError):
        metrics.region_metrics(sqlite_replica.store(), FULL, "desa")


def _facts(directory) -> pd.DataFrame:
    with duckdb.connect(str(current_version(directory)), read_only=True) as con:
        frame = con.execute("SELECT * FROM facts").df()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_incremental_sync_equals_full_rebuild(kind, tmp_path, own_pg_database) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}" if kind == "sqlite" else own_pg_database
    generator.build(url, 0.002)
    reader = reader_url(url)
    incremental = store_dir(tmp_path / "incremental")
    assert sync(reader, incremental).mode == "full"
    added = generator.append_days(url, days=1)
    assert added["registrants"] > 0 and added["training_completions"] > 0
    report = sync(reader, incremental)
    assert report.mode == "incremental"
    assert report.rows_copied["registrants"] == added["registrants"]
    rebuilt = store_dir(tmp_path / "full")
    sync(reader, rebuilt, full=True)
    pd.testing.assert_frame_equal(_facts(incremental), _facts(rebuilt))


def test_readers_keep_their_version_while_a_refresh_publishes(sqlite_replica, tmp_path) -> None:
    directory = store_dir(tmp_path / "versions")
    sync(sqlite_replica.url, directory)
    reader = Store.open_current(directory)
    before = metrics.totals(reader, FULL)
    sync(sqlite_replica.url, directory, full=True)
    assert current_version(directory) != reader.path
    pd.testing.assert_frame_equal(metrics.totals(reader, FULL), before)
    assert reader.path.exists()  # its lease keeps it, also for readers on other hosts
    reader.close()
    assert prune_versions(directory) == [reader.path.name]
    assert len(list(directory.glob("store-*.duckdb"))) == 1
    fresh = Store.open_current(directory)
    assert fresh.meta()["sync_mode"] == "full"
    pd.testing.assert_frame_equal(metrics.totals(fresh, FULL), before)


def test_synthetic_replica_is_labelled_wherever_it_is_served(replica, tmp_path) -> None:
    assert replica.store().meta()["source_kind"] == "demo"
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    generator.build(url, 0.001)
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:  # a replica without the marker
        conn.execute("DROP TABLE synthetic_dataset")
    directory = store_dir(tmp_path / "unmarked")
    sync(url, directory)
    assert Store.open_current(directory).meta()["source_kind"] == "replica"


def test_a_rebuilt_replica_triggers_a_full_refresh(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    generator.build(url, 0.002)
    directory = store_dir(tmp_path / "store")
    sync(url, directory)
    generator.build(url, 0.001)  # the replica is rebuilt smaller: old watermarks mean nothing
    report = sync(url, directory)
    assert report.mode == "full"
    totals = metrics.totals(Store.open_current(directory), FULL).iloc[0]
    assert totals["registrants"] == generator.target_counts(0.001)["registrants"]


def test_a_dead_readers_lease_expires_and_its_version_goes(sqlite_replica, tmp_path) -> None:
    directory = store_dir(tmp_path / "leases")
    sync(sqlite_replica.url, directory)
    crashed = Store.open_current(directory)  # never closed, as if its process died
    sync(sqlite_replica.url, directory)
    assert prune_versions(directory, grace_seconds=600) == []
    (lease,) = (directory / LEASE_DIR).glob(f"{crashed.version}@*")
    stale = time.time() - 601
    os.utime(lease, (stale, stale))
    assert prune_versions(directory, grace_seconds=600) == [crashed.version]
    assert not lease.exists()
    assert Store.open_current(directory).meta()["source_kind"] == "demo"


def _blocks_counted_beyond_the_end(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        ((total, size),) = con.execute(
            "SELECT total_blocks, block_size FROM pragma_database_size()"
        ).fetchall()
    return total - (path.stat().st_size - 3 * 4096) // size  # three 4 kB headers first


def test_a_version_duckdb_shortened_after_an_update_is_not_called_corrupt(tmp_path) -> None:
    """A refresh updates a copy of the previous version (delete, insert, checkpoint); DuckDB
    then cuts free blocks off the file's end but may still count them. Reading that as a
    truncated file made every later refresh rebuild all the pre-aggregates (141 s at scale 1)
    and a dashboard worker copy the whole replica again."""
    path = tmp_path / "store-1.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE meta AS SELECT 'k' AS key, 'v' AS value")
        con.execute(
            "CREATE TABLE facts AS SELECT range AS registrants, hash(range) AS paid_idr "
            "FROM range(400000)"
        )
        for table in TABLES[1:]:  # every other table a version holds
            con.execute(f"CREATE TABLE {table} AS FROM facts LIMIT 1000")
    for step in range(10):
        updated = tmp_path / f"store-{step + 2}.duckdb"
        shutil.copyfile(path, updated)
        with duckdb.connect() as con:
            con.execute("ATTACH $path AS version", {"path": str(updated)})
            con.execute(f"DELETE FROM version.facts WHERE registrants % 50 = {step}")
            con.execute(
                "INSERT INTO version.facts SELECT range, hash(range) FROM range($low, $low + 8000)",
                {"low": 10**6 * (step + 1)},
            )
            con.execute("CREATE OR REPLACE TABLE version.meta AS FROM version.meta")
            con.execute("CHECKPOINT version")
        path = updated
        if _blocks_counted_beyond_the_end(path) > 0:
            break
    assert _blocks_counted_beyond_the_end(path) > 0, "DuckDB no longer shortens the file"
    check_readable(path)  # sound
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM facts").fetchall()[0][0] > 390_000
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(StoreCorruptError, match="rusak"):
        check_readable(path)
