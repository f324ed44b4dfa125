"""The refresh job's own DuckDB file: the copied rows, never read by the dashboard.

``store/staging.duckdb`` holds ``raw_<table>`` (the contract's narrow columns), the ids that
more than one row of a table carries (``shared_ids``) and the refresh's state
(``sync_state``: which store version its rows belong to, the time the contract's date check
used, the reconciliation cursors). A refresh copies the replica's new and re-read rows into
``incoming_<table>`` beside ``raw_<table>``; only after the new version is written does one
transaction move them in and record that version's name. A refresh killed before that leaves
``raw_*`` as it was; killed after it, the name differs from ``CURRENT`` and the next refresh
rebuilds the pre-aggregates from the staging. An unreadable staging file is replaced by a full
copy from the replica.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from geo.vintages import code_mapping
from queries.contract import DIMENSION_TABLES, FACT_TABLES
from queries.duck import count_rows, run
from queries.facts import (
    PARTS,
    aggregate,
    district_mapping,
    merge_counts,
    merge_facts,
    sum_parts,
)

STAGING_FILE = "staging.duckdb"
MEMORY_LIMIT = "2500MB"
"""DuckDB's own cap in the refresh (it spills to ``tmp-staging/`` beyond it): with Python, the
driver and the CSV reader the process stays well under the 4 GB budget at any scale."""
PERSON = {
    "registrants": "id",
    "recipients": "registrant_id",
    "training_completions": "registrant_id",
    "incentive_payments": "registrant_id",
}
"""The column naming the person each fact table's row belongs to."""
TIME = {
    "registrants": "registered_at",
    "recipients": "selected_at",
    "training_completions": "completed_at",
    "incentive_payments": "paid_at",
}
"""The column the contract's date check reads (a row dated after the refresh becomes valid
when its time comes)."""
PERSONS_PER_CHUNK = 4_000_000
"""Registrant ids a rebuild aggregates at once. Every figure depends on one person's rows,
so the pre-aggregates are built chunk of people by chunk, each chunk's checks and firsts in
memory, and summed: one pass over every row at scale 6 sorted and spilled 25 GB."""


@dataclass
class Plan:
    """What one refresh copied into ``incoming_*`` and will move into ``raw_*``."""

    full: bool
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """Per fact table, the id ranges ``(low, high]`` whose ``raw_*`` rows are replaced."""
    dimensions_changed: bool = False
    cursors: dict[str, str] = field(default_factory=dict)
    watermarks: dict[str, int] = field(default_factory=dict)
    """Per fact table, the highest id ``raw_*`` held before this refresh."""


@contextlib.contextmanager
def opened(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The staging connection, with bounded memory; an unreadable file is started afresh
    (the refresh then copies everything: it finds no state)."""
    try:
        con = duckdb.connect(str(path))
        run(con, "SELECT count(*) FROM duckdb_tables()")
    except duckdb.Error:
        path.unlink(missing_ok=True)
        Path(f"{path}.wal").unlink(missing_ok=True)
        con = duckdb.connect(str(path))
    try:
        run(con, f"SET memory_limit = '{MEMORY_LIMIT}'")
        run(con, "SET preserve_insertion_order = false")  # every ordered result says ORDER BY
        run(con, "SET temp_directory = $dir", {"dir": str(path.parent / "tmp-staging")})
        run(con, "CREATE TABLE IF NOT EXISTS sync_state (key VARCHAR PRIMARY KEY, value VARCHAR)")
        run(con, "CREATE TABLE IF NOT EXISTS shared_ids (table_name VARCHAR, id BIGINT)")
        yield con
    finally:
        con.close()


def read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(run(con, "SELECT key, value FROM sync_state"))


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget everything before a full copy; committed at once, so a kill during the copy
    leaves no state and the next refresh starts over."""
    for table in [*DIMENSION_TABLES, *FACT_TABLES]:
        run(con, f"DROP TABLE IF EXISTS raw_{table.name}")
    run(con, "DELETE FROM sync_state")
    run(con, "DELETE FROM shared_ids")


def prepare(con: duckdb.DuckDBPyConnection, table: str, raw_ddl: str) -> None:
    """``raw_<table>`` (kept) and an empty ``incoming_<table>`` of the same columns."""
    run(con, raw_ddl)
    run(con, f"CREATE OR REPLACE TABLE incoming_{table} AS FROM raw_{table} LIMIT 0")


def differs(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """A dimension table's copy is not the one the staging holds."""
    both_ways = f"""((FROM raw_{table} EXCEPT ALL FROM incoming_{table})
        UNION ALL (FROM incoming_{table} EXCEPT ALL FROM raw_{table}))"""
    return count_rows(con, both_ways) > 0


def _in_spans(spans: list[tuple[int, int]]) -> str:
    """SQL predicate on ``id``; the bounds are integers computed by the refresh."""
    return " OR ".join(f"(id > {int(low)} AND id <= {int(high)})" for low, high in spans) or "false"


def net_rows(con: duckdb.DuckDBPyConnection, table: str, spans: list[tuple[int, int]]) -> int:
    """Rows the refresh adds to ``raw_<table>`` (negative when the replica lost some)."""
    incoming = count_rows(con, f"incoming_{table}")
    replaced = count_rows(con, f"(SELECT * FROM raw_{table} WHERE {_in_spans(spans)})")
    return incoming - replaced


def create_views(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """``new_<table>``: the rows as they will be after :func:`commit`."""
    for table in FACT_TABLES:
        spans = plan.spans.get(table.name, [])
        run(
            con,
            f"CREATE OR REPLACE TEMP VIEW new_{table.name} AS SELECT * FROM raw_{table.name} "
            f"WHERE NOT ({_in_spans(spans)}) UNION ALL SELECT * FROM incoming_{table.name}",
        )
    for table in DIMENSION_TABLES:
        run(con, f"CREATE OR REPLACE TEMP VIEW new_{table.name} AS FROM incoming_{table.name}")


def copy_dimensions(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """The small named tables (platforms, partners…) the screens label breakdowns with."""
    for table in DIMENSION_TABLES:
        run(con, f"CREATE OR REPLACE TABLE {target}.raw_{table.name} AS FROM incoming_{table.name}")


def rebuild_facts(con: duckdb.DuckDBPyConnection, plan: Plan, until: datetime) -> int:
    """Build ``version``'s pre-aggregates whole from the rows as they will be after
    :func:`commit`, one chunk of people at a time; returns the number of chunks."""
    create_views(con, plan)
    _find_shared_ids(con)
    chunks = _person_chunks(con)
    for part in PARTS:
        run(con, f"DROP TABLE IF EXISTS temp.all_{part}")
    for chunk in chunks:
        for table, person in PERSON.items():
            where = chunk.format(p=person)
            run(con, f"CREATE OR REPLACE TEMP VIEW chunk_{table} AS FROM new_{table} WHERE {where}")
        for dimension in DIMENSION_TABLES:
            name = dimension.name
            run(con, f"CREATE OR REPLACE TEMP VIEW chunk_{name} AS FROM new_{name}")
        aggregate(con, "chunk", until, "temp.chunk_")
        for part in PARTS:
            run(con, f"CREATE TEMP TABLE IF NOT EXISTS all_{part} AS FROM chunk_{part} LIMIT 0")
            run(con, f"INSERT INTO all_{part} FROM chunk_{part}")
    sum_parts(con, "version", "all_")
    return len(chunks)


def _find_shared_ids(con: duckdb.DuckDBPyConnection) -> None:
    """``new_shared``: every id more than one row of a table carries, and ``shared_people``:
    the people owning those rows (their duplicate-id checks depend on each other)."""
    tables = [table for table in PERSON if table != "registrants"]
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE new_shared AS "
        + " UNION ALL ".join(
            f"SELECT '{table}' AS table_name, id FROM new_{table} GROUP BY id HAVING count(*) > 1"
            for table in tables
        ),
    )
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE shared_people AS SELECT DISTINCT person FROM ("
        + " UNION ALL ".join(
            f"SELECT {PERSON[table]} AS person FROM new_{table} WHERE id IN "
            f"(SELECT id FROM new_shared WHERE table_name = '{table}')"
            for table in tables
        )
        + ") WHERE person IS NOT NULL",
    )


def _person_chunks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Predicates on a person column ``{p}``: one per range of ``PERSONS_PER_CHUNK``
    registrant ids (the outer ones open, for rows of unknown people) without the people in
    ``shared_people``, and a last one with those people and the rows naming no one."""
    ((low, high),) = run(
        con, "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM new_registrants"
    )
    cuts = range(low - 1 + PERSONS_PER_CHUNK, high, PERSONS_PER_CHUNK)
    above = ["true", *(f"{{p}} > {cut}" for cut in cuts)]
    below = [*(f"{{p}} <= {cut}" for cut in cuts), "true"]
    unshared = "{p} IS NOT NULL AND {p} NOT IN (SELECT person FROM shared_people)"
    return [
        *(f"{unshared} AND {a} AND {b}" for a, b in zip(above, below, strict=True)),
        "({p} IS NULL OR {p} IN (SELECT person FROM shared_people))",
    ]


def update_facts(
    con: duckdb.DuckDBPyConnection, plan: Plan, before: datetime, until: datetime
) -> int:
    """Update ``version``'s pre-aggregates for the people whose rows changed (or whose
    rows' validity changed with the clock); returns the ``facts`` keys recomputed."""
    create_views(con, plan)
    _changed_rows(con, plan)
    people = _affected_people(con, min(before, until), max(before, until))
    if not people:
        return 0
    _scope_rows(con, plan)
    for side, when in (("old", before), ("new", until)):
        aggregate(con, f"{side}_scope", when, f"temp.{side}_")
    touched = merge_facts(con, "version", "old_", "new_")
    merge_counts(con, "version", "old_", "new_")
    return touched


def _scope_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """``old_scope_<table>`` and ``new_scope_<table>``: the affected people's rows before and
    after this refresh. One hash semi join over each ``raw_*`` table (the people are few, the
    rows many; a row without a person goes with NULL); the rows after are those outside the
    replaced spans plus the same people's copied rows, as in ``new_<table>``."""
    for dimension in DIMENSION_TABLES:
        for scope, source in (("old_scope", "raw"), ("new_scope", "new")):
            view, rows = f"{scope}_{dimension.name}", f"{source}_{dimension.name}"
            run(con, f"CREATE OR REPLACE TEMP VIEW {view} AS FROM {rows}")
    for table, person in PERSON.items():
        theirs = f"SEMI JOIN affected a ON s.{person} IS NOT DISTINCT FROM a.person"
        run(
            con,
            f"CREATE OR REPLACE TEMP TABLE old_scope_{table} AS SELECT s.* FROM raw_{table} s "
            + _semi_join_on_staged(table, plan),
        )
        after = f"FROM old_scope_{table}"  # no re-read row differs: the rows are the same
        if table in plan.spans:
            after = (
                f"SELECT * FROM old_scope_{table} WHERE NOT ({_in_spans(plan.spans[table])}) "
                f"UNION ALL SELECT s.* FROM incoming_{table} s {theirs}"
            )
        run(con, f"CREATE OR REPLACE TEMP TABLE new_scope_{table} AS {after}")


def _semi_join_on_staged(table: str, plan: Plan) -> str:
    """The join selecting the affected people's ``raw_{table}`` rows. A registrant's person is
    the row's own id, and no staged row's id is above the table's watermark: the day's new
    registrants, most of the affected at scale 6, are left out of the hash table the whole
    table is probed against (0.8 → 0.5 s CPU for 97 M rows)."""
    person = PERSON[table]
    people = "affected"
    if person == "id" and table in plan.watermarks:
        people = f"(SELECT person FROM affected WHERE person <= {int(plan.watermarks[table])})"
    return f"SEMI JOIN {people} a ON s.{person} IS NOT DISTINCT FROM a.person"


def _changed_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """``changed_<table>``: rows re-read that differ from what the staging holds, either
    way (a new row, a late commit, a deleted one), and the ids they make shared. A table
    whose re-read rows are all the same leaves the plan: :func:`commit` does not rewrite
    them (the trailing window, re-read on every run, would otherwise churn ``raw_*``)."""
    run(con, "CREATE OR REPLACE TEMP TABLE new_shared (table_name VARCHAR, id BIGINT)")
    for table in PERSON:
        replaced = f"SELECT * FROM raw_{table} WHERE {_in_spans(plan.spans.get(table, []))}"
        top = int(plan.watermarks.get(table, 0))  # rows above it are new: nothing to compare
        reread = f"SELECT * FROM incoming_{table} WHERE id <= {top}"
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE changed_{table} AS
            (FROM ({replaced}) EXCEPT ALL FROM ({reread}))
            UNION ALL (FROM ({reread}) EXCEPT ALL FROM ({replaced}))
            UNION ALL (FROM incoming_{table} WHERE id > {top})""",
        )
        if not count_rows(con, f"changed_{table}"):
            plan.spans.pop(table, None)
        elif table != "registrants":
            run(
                con,
                f"""INSERT INTO new_shared SELECT '{table}', id FROM new_{table}
                WHERE id IN (SELECT id FROM changed_{table}) GROUP BY id HAVING count(*) > 1""",
            )


def _affected_people(con: duckdb.DuckDBPyConnection, low: datetime, high: datetime) -> int:
    """``affected(person)``: people with a changed row, a row whose date check flips between
    the two times, or a row sharing its id with another person's row (whose figures
    depend on each other through the duplicate-id check); returns how many."""
    parts = []
    any_shared = count_rows(con, "(SELECT id FROM shared_ids UNION ALL SELECT id FROM new_shared)")
    for table, person in PERSON.items():
        parts.append(f"SELECT {person} FROM changed_{table}")
        moment = TIME[table]
        parts.append(
            f"SELECT {person} FROM new_{table} WHERE {moment} > $low AND {moment} <= $high"
        )
        if any_shared:
            shared = (
                f"SELECT id FROM shared_ids WHERE table_name = '{table}' "
                f"UNION ALL SELECT id FROM new_shared WHERE table_name = '{table}'"
            )
            for source in ("raw", "new"):
                parts.append(f"SELECT {person} FROM {source}_{table} WHERE id IN ({shared})")
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE affected AS SELECT DISTINCT person FROM ("
        + " UNION ALL ".join(parts)
        + ") AS people(person)",
        {"low": low, "high": high},
    )
    return count_rows(con, "affected")


def commit(
    con: duckdb.DuckDBPyConnection, plan: Plan, state: dict[str, str], *, updated: bool
) -> None:
    """Move the copied rows into ``raw_*`` and record the version they now belong to, in
    one transaction, with the shared ids ``new_shared`` holds (after a rebuild, not
    ``updated``, all of them)."""
    run(con, "BEGIN TRANSACTION")
    try:
        for table, spans in plan.spans.items():
            run(con, f"DELETE FROM raw_{table} WHERE {_in_spans(spans)}")
            run(con, f"INSERT INTO raw_{table} FROM incoming_{table}")
        for dimension in DIMENSION_TABLES:
            run(con, f"DELETE FROM raw_{dimension.name}")
            run(con, f"INSERT INTO raw_{dimension.name} FROM incoming_{dimension.name}")
        if not updated:  # a rebuild found every shared id afresh
            run(con, "DELETE FROM shared_ids")
        run(con, "INSERT INTO shared_ids FROM new_shared")
        for incoming in [*DIMENSION_TABLES, *FACT_TABLES]:
            run(con, f"DROP TABLE IF EXISTS incoming_{incoming.name}")
        values = {**state, **plan.cursors}
        run(con, "DELETE FROM sync_state")
        run(
            con,
            "INSERT INTO sync_state SELECT unnest($keys), unnest($values)",
            {"keys": list(values), "values": list(values.values())},
        )
        run(con, "COMMIT")
    except BaseException:
        run(con, "ROLLBACK")
        raise
    run(con, "CHECKPOINT")


@cache
def code_map_digest() -> str:
    """A fingerprint of the regency and kecamatan code mappings the pre-aggregates were built
    with."""
    frames = (code_mapping(), district_mapping())
    return str(sum(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames))
