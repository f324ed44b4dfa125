"""Privacy: the query layer exposes aggregates only, and nothing identifying is ever read."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest

from queries import contract, metrics
from queries.filters import Filters

IDENTIFYING = re.compile(
    r"\b(nik|nama|name_of|full_name|phone|telepon|hp|email|address|alamat|birth_date|"
    r"tanggal_lahir|kk|npwp|account|rekening)\b",
    re.IGNORECASE,
)
RAW_PEOPLE_TABLES = (
    "raw_registrants",
    "raw_recipients",
    "raw_training_completions",
    "raw_incentive_payments",
)


def _metric_sql() -> dict[str, str]:
    constants = {
        name: value
        for name, value in vars(metrics).items()
        if name.endswith("_SQL") and isinstance(value, str)
    }
    constants.update({f"BREAKDOWN_SQL[{k}]": v for k, v in metrics.BREAKDOWN_SQL.items()})
    return constants


def test_every_query_reads_aggregates_and_no_identifying_column() -> None:
    statements = _metric_sql()
    assert len(statements) >= 12
    for name, sql in statements.items():
        assert not IDENTIFYING.search(sql), name
        assert not any(table in sql for table in RAW_PEOPLE_TABLES), name
        reads_facts = re.search(r"\bFROM facts\b", sql)
        assert reads_facts is None or re.search(r"\b(sum|min|max|count)\(", sql, re.IGNORECASE), (
            name
        )


def test_the_contract_copies_no_identifying_column() -> None:
    for table, columns in contract.STORE_COLUMNS.items():
        for column in columns:
            assert not IDENTIFYING.search(column), (table, column)
    all_columns = [c.name for t in contract.metadata.tables.values() for c in t.columns]
    assert not [c for c in all_columns if IDENTIFYING.search(c)]


CALLS: dict[str, tuple[Callable[..., pd.DataFrame], tuple[object, ...]]] = {
    "totals": (metrics.totals, ()),
    "region_metrics": (metrics.region_metrics, ("regency",)),
    "weekly_series": (metrics.weekly_series, ()),
    "funnel": (metrics.funnel, ()),
    **{f"breakdown_{d}": (metrics.breakdown, (d,)) for d in metrics.BREAKDOWN_SQL},
}


@pytest.mark.parametrize("name", CALLS)
def test_query_functions_return_aggregates_not_rows(sqlite_replica, name: str) -> None:
    function, args = CALLS[name]
    filters = Filters(date(2020, 4, 11), date(2020, 9, 3))
    frame: pd.DataFrame = function(sqlite_replica.store(), filters, *args)
    assert len(frame) <= 514
    assert not {"id", "registrant_id", "birth_year"} & set(frame.columns)
