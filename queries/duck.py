"""Statement helpers the refresh job's DuckDB connections share (staging, store versions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb


def run(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, object] | Sequence[object] | None = None,
) -> list[tuple]:
    """Execute and drain the result: DuckDB 2 refuses new work while a result is open."""
    return con.execute(sql, params or {}).fetchall()


def scalar(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, object] | Sequence[object] | None = None,
) -> int:
    """The single integer a statement returns (a count, a maximum id)."""
    return int(run(con, sql, params)[0][0])


def count_rows(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    """Rows of a table, view or parenthesised subquery named by the refresh (never input)."""
    return scalar(con, f"SELECT count(*) FROM {relation}")
