"""The refresh job: replica → local analytics store (``python -m queries.sync``).

It bulk-copies the contract's narrow columns (incrementally by ``id`` watermark, since every
fact table is append-only), rebuilds the pre-aggregate ``facts`` table from the rows that
pass the contract (``queries.quality``), and publishes a new store version atomically.

Ids are taken when a row is inserted but rows commit in any order, so each incremental run
re-reads a trailing window of ids (late commits near the watermark), and reconciles each
table's count and id sum with the replica on indexed ids: a table that differs (a commit later
than the window, a deleted row) is copied again whole. Before copying, the replica's role is
checked to be unable to write and its tables to match the contract. Every outcome is
recorded for the banners and the back-off (``queries.health``).

``facts`` counts each person once, on the day of their *first* event of each kind
(registration, selection, first completed training, first payment) and sums Rupiah on the day
paid, keeping every filter dimension — so any date range, region or demographic filter is a
plain SUM over it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from geo.vintages import UNKNOWN, code_mapping
from queries import writer
from queries.cli import run_command
from queries.contract import DIMENSION_TABLES, FACT_TABLES, STORE_COLUMNS
from queries.health import (
    SchemaDriftError,
    WritableReplicaError,
    describe,
    first_line,
    record_failure,
    record_success,
)
from queries.quality import QUARANTINE_SQL, quarantine_params
from queries.replica import (
    ReplicaStatus,
    pg_connect,
    replica_engine,
    replica_status,
    run_readonly,
    sqlite_readonly,
    write_privileges,
)
from queries.settings import ACCEPT_WRITABLE_REPLICA, accepts_writable_replica
from queries.store import (
    StoreCorruptError,
    check_readable,
    current_version,
    publish_version,
    remove_leftovers,
)

Progress = Callable[[str, float], None]
SCHEMA_VERSION = "5"
SQLITE_CHUNK_ROWS = 250_000
LATE_ROWS_WINDOW = 10_000
"""Ids below the watermark re-read on every incremental run, for rows that committed late."""

COLUMN_TYPES = {
    "id": "BIGINT",
    "registrant_id": "BIGINT",
    "regency_code": "VARCHAR",
    "registered_at": "DATE",  # only its day and year are used: a DATE halves the column
    "selected_at": "TIMESTAMP",
    "completed_at": "TIMESTAMP",
    "paid_at": "TIMESTAMP",
    "channel": "VARCHAR",
    "gender": "VARCHAR",
    "kind": "VARCHAR",
    "name": "VARCHAR",
    "birth_year": "SMALLINT",
    "wave": "SMALLINT",
    "installment": "SMALLINT",
    "disability": "BOOLEAN",
    "course_id": "INTEGER",
    "provider_id": "INTEGER",
    "platform_id": "INTEGER",
    "partner_id": "INTEGER",
    "amount_idr": "BIGINT",
}


@dataclass
class SyncReport:
    """What one refresh did, for the terminal, the logs and the benchmark."""

    mode: str
    rows_copied: dict[str, int] = field(default_factory=dict)
    recopied: list[str] = field(default_factory=list)
    seconds: float = 0.0
    store_path: Path | None = None
    store_bytes: int = 0


def _raw_ddl(table: str) -> str:
    columns = ", ".join(f"{name} {COLUMN_TYPES[name]}" for name in STORE_COLUMNS[table])
    return f"CREATE TABLE IF NOT EXISTS raw_{table} ({columns})"


def _casts(table: str) -> str:
    """Typed select list; text timestamps go through TIMESTAMP so a DATE keeps just the day."""
    return ", ".join(
        f"CAST(CAST({name} AS TIMESTAMP) AS DATE)"
        if COLUMN_TYPES[name] == "DATE"
        else f"CAST({name} AS {COLUMN_TYPES[name]})"
        for name in STORE_COLUMNS[table]
    )


def _extract_sql(table: str, placeholder: str) -> str:
    """Replica-side SELECT; the table and columns come from the contract, never from input."""
    columns = ", ".join(STORE_COLUMNS[table])
    return f"SELECT {columns} FROM {table} WHERE id > {placeholder} ORDER BY id"


def _copy_from_sqlite(con: duckdb.DuckDBPyConnection, url: str, table: str, after: int) -> int:
    path = writer.sqlite_path(url)
    copied = 0
    with contextlib.closing(sqlite_readonly(path)) as source:
        chunks = pd.read_sql_query(
            _extract_sql(table, "?"), source, params=(after,), chunksize=SQLITE_CHUNK_ROWS
        )
        for chunk in chunks:
            con.register("chunk", chunk)
            _run(con, f"INSERT INTO raw_{table} SELECT {_casts(table)} FROM chunk")
            con.unregister("chunk")
            copied += len(chunk)
    return copied


def _copy_from_postgres(
    con: duckdb.DuckDBPyConnection, url: str, table: str, after: int, workdir: Path
) -> int:
    """COPY ... TO STDOUT into a CSV file, then DuckDB reads it: the fastest path measured."""
    csv_path = workdir / f"{table}.csv"
    with pg_connect(url) as source, source.cursor() as cursor, csv_path.open("wb") as out:
        statement = f"COPY ({_extract_sql(table, '%s')}) TO STDOUT (FORMAT csv)"
        with cursor.copy(statement, (after,)) as copy:
            for block in copy:
                out.write(block)
    if csv_path.stat().st_size == 0:
        return 0
    names = list(STORE_COLUMNS[table])
    before = con.execute(f"SELECT count(*) FROM raw_{table}").fetchall()[0][0]
    _run(
        con,
        f"INSERT INTO raw_{table} SELECT {_casts(table)} FROM read_csv($path, header = false,"
        " all_varchar = true, names = $names)",
        {"path": str(csv_path), "names": names},
    )
    csv_path.unlink()
    return con.execute(f"SELECT count(*) FROM raw_{table}").fetchall()[0][0] - before


def _run(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[tuple]:
    """Execute and drain the result: DuckDB 2 refuses new work while a result is open."""
    return con.execute(sql, params or {}).fetchall()


def _watermark(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT coalesce(max(id), 0) FROM raw_{table}").fetchall()[0][0])


def _copy_table(con, url: str, table: str, after: int, workdir: Path) -> int:
    """Copy the rows with ``id > after``; values the contract's types cannot hold are schema
    drift (text in ``amount_idr``, say), reported as such."""
    try:
        if writer.is_sqlite(url):
            return _copy_from_sqlite(con, url, table, after)
        return _copy_from_postgres(con, url, table, after, workdir)
    except (duckdb.ConversionException, duckdb.InvalidInputException) as error:
        raise SchemaDriftError(
            f"Replika tidak sesuai kontrak data: tabel {table} berisi nilai yang bukan tipe "
            f"kontraknya ({first_line(error)[:160]})."
        ) from error


FACTS_SQL = """
-- One wide row per combination of dimensions, one column per metric, narrow types: plain
-- SUMs over it are about six times faster than FILTERed sums over a long table.
CREATE OR REPLACE TABLE people AS
SELECT r.id AS registrant_id,
       coalesce(m.regency_code, $unknown) AS regency_code,
       r.channel, r.gender, r.disability,
       CASE WHEN age < 18 THEN '<18' WHEN age <= 25 THEN '18-25' WHEN age <= 35 THEN '26-35'
            WHEN age <= 45 THEN '36-45' WHEN age <= 55 THEN '46-55' WHEN age <= 64 THEN '56-64'
            ELSE '65+' END AS age_band,
       CAST(r.registered_at AS DATE) AS day
FROM (SELECT *, year(registered_at) - birth_year AS age FROM valid_registrants) r
LEFT JOIN code_map m ON m.source_code = r.regency_code;

CREATE OR REPLACE TABLE first_selection AS
SELECT registrant_id, arg_min(wave, selected_at) AS wave,
       CAST(min(selected_at) AS DATE) AS day
FROM valid_recipients GROUP BY registrant_id;

CREATE OR REPLACE TABLE facts AS
WITH completed AS (
    SELECT registrant_id, CAST(min(completed_at) AS DATE) AS day,
           arg_min(platform_id, completed_at) AS platform_id
    FROM valid_training_completions GROUP BY registrant_id
), payments AS (
    SELECT registrant_id, partner_id, amount_idr, CAST(paid_at AS DATE) AS day,
           row_number() OVER (PARTITION BY registrant_id ORDER BY paid_at, id) = 1 AS is_first
    FROM valid_incentive_payments
), events AS (
    SELECT 'registrants' AS metric, registrant_id, day, NULL::INTEGER AS platform_id,
           NULL::INTEGER AS partner_id, 1 AS person, 0::BIGINT AS amount_idr FROM people
    UNION ALL
    SELECT 'recipients', registrant_id, day, NULL, NULL, 1, 0 FROM first_selection
    UNION ALL
    SELECT 'completed', registrant_id, day, platform_id, NULL, 1, 0 FROM completed
    UNION ALL
    SELECT 'paid', registrant_id, day, NULL, partner_id, CAST(is_first AS INTEGER), amount_idr
    FROM payments
)
SELECT e.day, left(p.regency_code, 2) AS province_code, p.regency_code,
       p.channel, p.gender,
       CAST(p.age_band AS ENUM('<18', '18-25', '26-35', '36-45', '46-55', '56-64', '65+'))
           AS age_band,
       p.disability,
       CAST(CASE WHEN e.metric = 'registrants' THEN NULL ELSE s.wave END AS UTINYINT) AS wave,
       CAST(e.platform_id AS UTINYINT) AS platform_id,
       CAST(e.partner_id AS UTINYINT) AS partner_id,
       CAST(coalesce(sum(e.person) FILTER (WHERE e.metric = 'registrants'), 0) AS INTEGER)
           AS registrants,
       CAST(coalesce(sum(e.person) FILTER (WHERE e.metric = 'recipients'), 0) AS INTEGER)
           AS recipients,
       CAST(coalesce(sum(e.person) FILTER (WHERE e.metric = 'completed'), 0) AS INTEGER)
           AS completed,
       CAST(coalesce(sum(e.person) FILTER (WHERE e.metric = 'paid'), 0) AS INTEGER)
           AS paid,
       CAST(sum(e.amount_idr) AS BIGINT) AS paid_idr
FROM events e
JOIN people p USING (registrant_id)
LEFT JOIN first_selection s USING (registrant_id)
GROUP BY ALL
ORDER BY province_code, regency_code, day;

CREATE OR REPLACE TABLE unknown_codes AS
SELECT r.regency_code AS source_code, count(*) AS registrants
FROM valid_registrants r ANTI JOIN code_map m ON m.source_code = r.regency_code
GROUP BY r.regency_code ORDER BY registrants DESC;

DROP TABLE people;
DROP TABLE first_selection;
"""


def _build_facts(con: duckdb.DuckDBPyConnection) -> None:
    con.register("code_map_frame", code_mapping())
    _run(con, "CREATE OR REPLACE TABLE code_map AS SELECT * FROM code_map_frame")
    con.unregister("code_map_frame")
    for statement in filter(str.strip, QUARANTINE_SQL.split(";")):
        params = {k: v for k, v in quarantine_params().items() if f"${k}" in statement}
        _run(con, statement, params)
    for statement in filter(str.strip, FACTS_SQL.split(";")):
        params = {"unknown": UNKNOWN} if "$unknown" in statement else {}
        _run(con, statement, params)


def synthetic_scale(url: str) -> float | None:
    """The demo generator's scale (1.0 = the programme's size) when the replica carries its
    ``synthetic_dataset`` marker; None for a real replica."""
    engine = replica_engine(url)
    try:
        with engine.connect() as conn:
            return float(
                conn.execute(text("SELECT max(scale) FROM synthetic_dataset")).scalar_one()
            )
    except (SQLAlchemyError, TypeError, ValueError):
        return None
    finally:
        engine.dispose()


def _write_meta(
    con, *, url: str, scale: float | None, status: ReplicaStatus, mode: str, writable: list[str]
) -> None:
    period = con.execute("SELECT min(day), max(day) FROM facts").fetchall()[0]
    meta = {
        "schema_version": SCHEMA_VERSION,
        "source_kind": "replica" if scale is None else "demo",
        "population_scale": f"{scale or 1.0:g}",
        "replica_kind": status.kind,
        "replica_url": make_url(url).render_as_string(hide_password=True),
        "replica_as_of": status.as_of.isoformat(),
        "lag_seconds": "" if status.lag_seconds is None else f"{status.lag_seconds:.1f}",
        "refreshed_at": datetime.now().astimezone().isoformat(),
        "data_from": str(period[0] or ""),
        "data_until": str(period[1] or ""),
        "sync_mode": mode,
        "replica_writable": "; ".join(writable),
    }
    _run(con, "CREATE OR REPLACE TABLE meta (key VARCHAR, value VARCHAR)")
    _run(
        con,
        "INSERT INTO meta SELECT * FROM (VALUES " + ", ".join(["(?, ?)"] * len(meta)) + ")",
        [item for pair in meta.items() for item in pair],
    )


def _needs_full_rebuild(previous: Path | None, url: str) -> bool:
    """A full rebuild when there is no store, its schema changed, the source changed, or the
    replica holds fewer rows than we copied (it was rebuilt: the id watermarks are void)."""
    if previous is None:
        return True
    try:
        check_readable(previous)
    except StoreCorruptError:
        return True
    with contextlib.closing(duckdb.connect(str(previous), read_only=True)) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        watermarks = {table.name: _watermark(con, table.name) for table in FACT_TABLES}
    same_source = meta.get("replica_url") == make_url(url).render_as_string(hide_password=True)
    if meta.get("schema_version") != SCHEMA_VERSION or not same_source:
        return True
    return any(_replica_max_id(url, table) < mark for table, mark in watermarks.items())


def _replica_max_id(url: str, table: str) -> int:
    engine = replica_engine(url)
    try:  # the table name comes from the contract, never from input
        return int(run_readonly(engine, f"SELECT coalesce(max(id), 0) FROM {table}")[0][0])
    finally:
        engine.dispose()


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """One refresh (or first demo build) at a time per store directory, across processes and
    threads: each caller opens its own descriptor, and ``flock`` serialises them."""
    with (directory / ".sync.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sync(
    url: str,
    directory: Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Refresh the store in ``directory`` from the replica at ``url``; returns a report.

    Holds the directory's lock; records the outcome (see :mod:`queries.health`)."""
    with exclusive(directory):
        return sync_locked(url, directory, full=full, progress=progress)


def sync_locked(
    url: str, directory: Path, *, full: bool = False, progress: Progress | None = None
) -> SyncReport:
    """:func:`sync` for a caller that already holds :func:`exclusive` on ``directory``."""
    try:
        report = _sync(url, directory, full=full, progress=progress or (lambda s, f: None))
    except BaseException as error:
        if isinstance(error, Exception):
            record_failure(directory, describe(error))
        raise
    record_success(directory)
    return report


def _sync(url: str, directory: Path, *, full: bool, progress: Progress) -> SyncReport:
    url = writer.normalize_url(url)  # libpq's "h1:p1,h2:p2" form → SQLAlchemy's ?host= form
    started = time.perf_counter()
    remove_leftovers(directory)
    engine = replica_engine(url)
    try:
        status = replica_status(engine)
        writable = check_read_only(engine)
        _check_schema(engine)
    finally:
        engine.dispose()
    previous = current_version(directory)
    mode = "full" if full or _needs_full_rebuild(previous, url) else "incremental"
    target = directory / f"store-{datetime.now():%Y%m%dT%H%M%S%f}.duckdb"
    building = directory / (target.name + ".building")
    if mode == "incremental":
        shutil.copyfile(previous, building)
    report = SyncReport(mode=mode)
    try:
        _fill(building, url, report, progress)
        with contextlib.closing(duckdb.connect(str(building))) as con:
            progress("agregat", 0.85)
            _build_facts(con)
            scale = synthetic_scale(url)
            _write_meta(con, url=url, scale=scale, status=status, mode=mode, writable=writable)
            _run(con, "CHECKPOINT")
    except BaseException:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
        raise
    building.rename(target)
    publish_version(directory, target)
    report.seconds = time.perf_counter() - started
    report.store_path = target
    report.store_bytes = target.stat().st_size
    progress("selesai", 1.0)
    return report


def check_read_only(engine) -> list[str]:
    """What the replica role could write; refuse unless the operator accepted the risk."""
    writable = write_privileges(engine)
    if writable and not accepts_writable_replica():
        raise WritableReplicaError(
            f"Peran basis data replika dapat menulis ({'; '.join(writable)}). Gunakan peran "
            "yang hanya boleh SELECT (lihat docs/DATA_CONTRACT.md), atau setel "
            f"{ACCEPT_WRITABLE_REPLICA.env}=1 untuk menerima risikonya."
        )
    return writable


def _check_schema(engine) -> None:
    """Every contract table and column the store copies must exist on the replica."""
    for table, columns in STORE_COLUMNS.items():
        try:  # table and column names come from the contract, never from input
            run_readonly(engine, f"SELECT {', '.join(columns)} FROM {table} WHERE 1 = 0")
        except SQLAlchemyError as error:
            raise SchemaDriftError(
                f"Replika tidak sesuai kontrak data: tabel {table} atau salah satu kolomnya "
                f"({', '.join(columns)}) tidak ada ({first_line(error)[:160]})."
            ) from error


def _fill(building: Path, url: str, report: SyncReport, progress: Progress) -> None:
    tables = [*DIMENSION_TABLES, *FACT_TABLES]
    with (
        contextlib.closing(duckdb.connect(str(building))) as con,
        tempfile.TemporaryDirectory(dir=building.parent) as workdir,
    ):
        for done, table in enumerate(tables):
            progress(f"menyalin {table.name}", 0.8 * done / len(tables))
            _run(con, _raw_ddl(table.name))
            before = _count(con, table.name)
            if table in DIMENSION_TABLES:
                _copy_whole(con, url, table.name, Path(workdir))
            else:
                _copy_new_and_late(con, url, table.name, Path(workdir))
                if not _matches_replica(con, url, table.name):
                    _copy_whole(con, url, table.name, Path(workdir))
                    report.recopied.append(table.name)
            report.rows_copied[table.name] = _count(con, table.name) - before


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(_run(con, f"SELECT count(*) FROM raw_{table}")[0][0])


def _copy_whole(con, url: str, table: str, workdir: Path) -> None:
    _run(con, f"DELETE FROM raw_{table}")
    _copy_table(con, url, table, 0, workdir)


def _copy_new_and_late(con, url: str, table: str, workdir: Path) -> None:
    """Re-read the last ``LATE_ROWS_WINDOW`` ids and everything after them."""
    after = max(0, _watermark(con, table) - LATE_ROWS_WINDOW)
    _run(con, f"DELETE FROM raw_{table} WHERE id > $after", {"after": after})
    _copy_table(con, url, table, after, workdir)


def _matches_replica(con, url: str, table: str) -> bool:
    """Same row count and id sum up to the store's watermark (an index-only scan on the
    replica): otherwise a row committed later than the window, or one was deleted."""
    mark = _watermark(con, table)
    sql = f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE id <= :mark"
    engine = replica_engine(url)
    try:
        ((count, total),) = run_readonly(engine, sql, {"mark": mark})
    finally:
        engine.dispose()
    ours = _run(con, f"SELECT count(*), coalesce(sum(id), 0) FROM raw_{table}")[0]
    return (int(count), int(total)) == (int(ours[0]), int(ours[1]))


def main(argv: list[str] | None = None) -> int:
    return run_command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from queries import bootstrap

    parser = argparse.ArgumentParser(prog="python -m queries.sync", description=__doc__)
    parser.add_argument("--full", action="store_true", help="rebuild the store from scratch")
    parser.add_argument("--replica", help="replica URL (default: configured, else the demo)")
    args = parser.parse_args(argv)
    report = bootstrap.refresh(args.replica, full=args.full, progress=bootstrap.terminal())
    recopied = f"; disalin ulang karena berbeda: {', '.join(report.recopied)}" * bool(
        report.recopied
    )
    print(
        f"Mode {report.mode}: {report.rows_copied} baris disalin dalam {report.seconds:.1f} s;"
        f" penyimpanan {report.store_bytes / 1e6:.1f} MB ({report.store_path}){recopied}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
