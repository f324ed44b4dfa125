"""The store's numbers equal direct SQL on the replica, on SQLite and on PostgreSQL.

The oracle below counts people straight from the contract's raw tables, with its own SQL,
independent of the refresh job's pre-aggregation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import BindParameter, bindparam, text

from geo.regions import regencies
from geo.vintages import code_changes_2022
from queries import metrics
from queries.filters import AGE_BANDS, Filters
from queries.replica import replica_engine

DIALECT: dict[str, dict[str, Any]] = {
    "sqlite": {
        "day": "date({})",
        "year": "CAST(strftime('%Y', {}) AS INTEGER)",
        "bind_day": lambda d: d.isoformat(),
    },
    "postgresql": {
        "day": "CAST({} AS DATE)",
        "year": "CAST(EXTRACT(YEAR FROM {}) AS INTEGER)",
        "bind_day": lambda d: d,
    },
}

FIRSTS = """
WITH first_sel AS NOT MATERIALIZED (
    SELECT registrant_id, MIN(selected_at) AS first_at FROM recipients GROUP BY registrant_id
), sel AS NOT MATERIALIZED (
    SELECT r.registrant_id, MIN(r.wave) AS wave, MIN(r.selected_at) AS selected_at
    FROM recipients r JOIN first_sel f
      ON f.registrant_id = r.registrant_id AND r.selected_at = f.first_at
    GROUP BY r.registrant_id
), done AS NOT MATERIALIZED (
    SELECT registrant_id, MIN(completed_at) AS at FROM training_completions
    GROUP BY registrant_id
), first_paid AS NOT MATERIALIZED (
    SELECT registrant_id, MIN(paid_at) AS at FROM incentive_payments GROUP BY registrant_id
)"""
"""Each person's first selection (and its wave), first completion and first payment."""

ORACLE = (
    FIRSTS
    + """
SELECT
  (SELECT COUNT(*) FROM registrants p
    WHERE {day_reg} BETWEEN :a AND :b AND {person}) AS registrants,
  (SELECT COUNT(*) FROM sel JOIN registrants p ON p.id = sel.registrant_id
    WHERE {day_sel} BETWEEN :a AND :b AND {person} AND {wave}) AS recipients,
  (SELECT COUNT(*) FROM done JOIN registrants p ON p.id = done.registrant_id
    LEFT JOIN sel ON sel.registrant_id = done.registrant_id
    WHERE {day_done} BETWEEN :a AND :b AND {person} AND {wave}) AS completed,
  (SELECT COUNT(*) FROM first_paid fp JOIN registrants p ON p.id = fp.registrant_id
    LEFT JOIN sel ON sel.registrant_id = fp.registrant_id
    WHERE {day_fp} BETWEEN :a AND :b AND {person} AND {wave}) AS paid,
  (SELECT COALESCE(SUM(ip.amount_idr), 0) FROM incentive_payments ip
    JOIN registrants p ON p.id = ip.registrant_id
    LEFT JOIN sel ON sel.registrant_id = ip.registrant_id
    WHERE {day_ip} BETWEEN :a AND :b AND {person} AND {wave}) AS paid_idr
"""
)


def _source_codes(region: str) -> list[str]:
    """Every raw code (current or pre-2022) that belongs to a region."""
    current = regencies()["code"]
    wanted = set(current if region == "ID" else current[current.str.startswith(region)])
    return sorted(wanted | {old for old, now in code_changes_2022().items() if now in wanted})


def oracle_totals(kind: str, url: str, filters: Filters) -> dict[str, int]:
    (row,) = oracle_rows(url, *oracle_sql(ORACLE, kind, filters))
    return {name: int(value) for name, value in zip(metrics.METRICS, row, strict=True)}


def oracle_rows(
    url: str, sql: str, params: dict[str, object], binds: list[BindParameter[Any]]
) -> list[Any]:
    """The rows of an oracle statement, read on the replica as the dashboard would."""
    engine = replica_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql).bindparams(*binds), params).all())
    finally:
        engine.dispose()


def oracle_sql(
    template: str, kind: str, filters: Filters
) -> tuple[str, dict[str, object], list[BindParameter[Any]]]:
    """``template`` with the filters' conditions on a person ``p`` and their first selection
    ``sel`` filled in, their parameters and the expanding binds."""
    dialect = DIALECT[kind]
    person = ["1 = 1"]
    params: dict[str, object] = {
        "a": dialect["bind_day"](filters.date_from),
        "b": dialect["bind_day"](filters.date_to),
    }
    binds: list[BindParameter[Any]] = []
    if filters.region != "ID":
        person.append("p.regency_code IN :codes")
        params["codes"] = _source_codes(filters.region)
        binds.append(bindparam("codes", expanding=True))
    for column, values in (("gender", filters.genders), ("channel", filters.channels)):
        if values:
            person.append(f"p.{column} IN :{column}s")
            params[f"{column}s"] = list(values)
            binds.append(bindparam(f"{column}s", expanding=True))
    if filters.age_bands:
        bands = [AGE_BANDS.index(band) for band in filters.age_bands]
        ranges = [tuple(map(int, AGE_BANDS[i].split("-"))) for i in bands]
        age = dialect["year"].format("p.registered_at") + " - p.birth_year"
        person.append("(" + " OR ".join(f"{age} BETWEEN {lo} AND {hi}" for lo, hi in ranges) + ")")
    if filters.disability is not None:
        person.append("p.disability = :disability")
        params["disability"] = filters.disability
    wave = "1 = 1"
    if filters.waves:
        wave = "sel.wave IN :waves"
        params["waves"] = list(filters.waves)
        binds.append(bindparam("waves", expanding=True))
    sql = template.format(
        day_reg=dialect["day"].format("p.registered_at"),
        day_sel=dialect["day"].format("sel.selected_at"),
        day_done=dialect["day"].format("done.at"),
        day_fp=dialect["day"].format("fp.at"),
        day_ip=dialect["day"].format("ip.paid_at"),
        person=" AND ".join(person),
        wave=wave,
    )
    return sql, params, binds


FULL = (date(2020, 4, 11), date(2020, 9, 3))
FILTER_CASES = [
    Filters(*FULL),
    Filters(date(2020, 5, 1), date(2020, 5, 31)),
    Filters(*FULL, region="32"),
    Filters(*FULL, region="3216"),
    Filters(*FULL, region="93"),  # Papua Selatan: only reachable through pre-2022 codes
    Filters(*FULL, region="9301"),
    Filters(date(2020, 6, 1), date(2020, 8, 15), region="35", genders=("F",)),
    Filters(*FULL, waves=(2, 5)),
    Filters(*FULL, age_bands=("26-35", "56-64"), disability=False),
    Filters(*FULL, channels=("offline",), disability=True),
    Filters(date(2020, 7, 1), date(2020, 7, 1), region="31", waves=(1,), genders=("M",)),
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: repr(f)[8:70])
def test_store_totals_equal_direct_sql(replica, filters: Filters) -> None:
    expected = oracle_totals(replica.kind, replica.url, filters)
    got = metrics.totals(replica.store(), filters).iloc[0].to_dict()
    assert {name: int(got[name]) for name in metrics.METRICS} == expected
    assert expected["registrants"] > 0 or filters.region in ("9301",)


def test_papua_2020_codes_land_on_current_regencies(sqlite_replica) -> None:
    frame = metrics.region_metrics(sqlite_replica.store(), Filters(*FULL, region="93"), "regency")
    assert set(frame["code"]) == {"9301", "9302", "9303", "9304"}
    assert (
        frame["registrants"].sum()
        == oracle_totals("sqlite", sqlite_replica.url, Filters(*FULL, region="93"))["registrants"]
    )
