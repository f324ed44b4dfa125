"""The refresh job: replica → local analytics store (``python -m queries.sync``).

It copies the contract's narrow columns into a staging DuckDB file only the refresh touches
(``queries.staging``: ``store/staging.duckdb``, incrementally by ``id`` watermark, since every
fact table is append-only), and publishes a new, small store version holding only the
pre-aggregates (``queries.facts``), atomically. An incremental run copies the previous
version's file and updates the ``facts`` rows of the people its new rows touch; a full one
builds them whole.

Ids are taken when a row is inserted but rows commit in any order, so each incremental run
re-reads a trailing window of ids (late commits near the watermark), and compares the count
and id sum of one slice of older ids with the replica (an indexed range, a different slice on
each run): a slice that differs (a commit later than the window, a deleted row) is copied
again. Before copying, the replica's role is checked to be unable to write and its tables to
match the contract. Every outcome is recorded for the banners and the back-off
(``queries.health``).
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from queries import demo, staging, urls
from queries.cli import run_command, terminal
from queries.contract import DIMENSION_TABLES, FACT_TABLES, OPTIONAL_COLUMNS, STORE_COLUMNS
from queries.duck import count_rows, run, scalar
from queries.facts import load_code_map, weeks_before
from queries.health import (
    SchemaDriftError,
    WritableReplicaError,
    describe,
    first_line,
    record_failure,
    record_success,
)
from queries.quality import latest_valid_time
from queries.replica import (
    ReplicaStatus,
    pg_connect,
    replica_engine,
    replica_status,
    run_readonly,
    sqlite_readonly,
    write_privileges,
)
from queries.settings import ACCEPT_WRITABLE_REPLICA, accepts_writable_replica, data_dir
from queries.store import (
    StoreCorruptError,
    check_readable,
    current_version,
    publish_version,
    remove_leftovers,
    store_dir,
)

Progress = Callable[[str, float], None]
SCHEMA_VERSION = "9"
SQLITE_CHUNK_ROWS = 250_000
LATE_ROWS_WINDOW = 10_000
"""Ids below the watermark re-read on every incremental run, for rows that committed late."""
ID_NOT_POSITIVE = "id_not_positive"
"""The quarantine reason of rows whose id is zero or negative (``queries.quality.REASONS``)."""
RECONCILE_IDS = 250_000
"""Ids below the window whose count and id sum each incremental run compares with the
replica, a slice after the previous run's: a bounded index range scan per run."""
OPEN_END = 2**62
COPY_SPAN_IDS = 2_000_000
"""Ids per COPY of a full copy from PostgreSQL (about 100 MB of CSV for registrants)."""
MAX_COPY_SPANS = 256
Span = tuple[int, int]
"""An id range ``(low, high]``."""

COLUMN_TYPES = {
    "id": "BIGINT",
    "registrant_id": "BIGINT",
    "regency_code": "VARCHAR",
    "district_code": "VARCHAR",
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
    staging_bytes: int = 0
    rebuilt_because: str = ""
    """Why an incremental run rebuilt the pre-aggregates instead of updating them."""
    facts_rows_touched: int | None = None
    """``facts`` keys recomputed for the people touched; None when the pre-aggregates were
    rebuilt whole."""
    ids_not_positive: dict[str, int] = field(default_factory=dict)
    """Rows per replica table whose id is zero or negative: never copied, quarantined."""


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


def _extract_sql(table: str, low: str, high: str, absent: frozenset[str]) -> str:
    """Replica-side SELECT of an id span, NULL for the optional columns the replica lacks;
    the table and columns come from the contract, never from input."""
    columns = ", ".join(
        f"NULL AS {name}" if name in absent else name for name in STORE_COLUMNS[table]
    )
    return f"SELECT {columns} FROM {table} WHERE id > {low} AND id <= {high} ORDER BY id"


def _copy_from_sqlite(
    con: duckdb.DuckDBPyConnection,
    url: str,
    table: str,
    span: Span,
    into: str,
    absent: frozenset[str],
) -> None:
    path = urls.sqlite_path(url)
    with contextlib.closing(sqlite_readonly(path)) as source:
        chunks = pd.read_sql_query(
            _extract_sql(table, "?", "?", absent), source, params=span, chunksize=SQLITE_CHUNK_ROWS
        )
        for chunk in chunks:
            con.register("chunk", chunk)
            run(con, f"INSERT INTO {into} SELECT {_casts(table)} FROM chunk")
            con.unregister("chunk")


def _copy_from_postgres(
    con: duckdb.DuckDBPyConnection,
    source: psycopg.Connection,
    table: str,
    spans: list[Span],
    into: str,
    workdir: Path,
    absent: frozenset[str],
) -> None:
    """COPY ... TO STDOUT into a CSV file per span, then DuckDB reads it: the fastest path
    measured, and memory stays flat (the rows go through the disk, not Python's objects). A
    second thread fetches the next span while DuckDB appends this one, so the replica's
    COPY, the loop writing its blocks and the append overlap on two cores."""
    with ThreadPoolExecutor(max_workers=1) as fetcher:

        def fetch(index: int) -> Future[Path]:
            path = workdir / f"{table}-{index}.csv"
            return fetcher.submit(_fetch_csv, source, table, spans[index], path, absent)

        pending = fetch(0)
        for index in range(len(spans)):
            csv_path = pending.result()
            if index + 1 < len(spans):
                pending = fetch(index + 1)
            if csv_path.stat().st_size:
                _insert_csv(con, table, csv_path, into)
            csv_path.unlink()


def _fetch_csv(
    source: psycopg.Connection, table: str, span: Span, path: Path, absent: frozenset[str]
) -> Path:
    """One span of the replica's rows as a CSV file."""
    statement = f"COPY ({_extract_sql(table, '%s', '%s', absent)}) TO STDOUT (FORMAT csv)"
    with source.cursor() as cursor, path.open("wb") as out, cursor.copy(statement, span) as copy:
        for block in copy:
            out.write(block)
    return path


def _insert_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path, into: str) -> None:
    """Append a PostgreSQL CSV file, its dialect stated (sniffing it doubled a small copy's
    time), with one thread: parallel writers leave part-filled row groups, which the next
    refreshes' checkpoints then merge (2–4 s of each of the two runs after a full copy at
    scale 1); one writer fills them whole for about the same total CPU."""
    run(con, "SET threads = 1")
    try:
        run(
            con,
            f"INSERT INTO {into} SELECT {_casts(table)} FROM read_csv($path, header = false,"
            """ auto_detect = false, delim = ',', quote = '"', escape = '"', columns = $columns)""",
            {"path": str(path), "columns": dict.fromkeys(STORE_COLUMNS[table], "VARCHAR")},
        )
    finally:
        run(con, "RESET threads")


def _watermark(con: duckdb.DuckDBPyConnection, table: str, state: dict[str, str]) -> int:
    """The highest id copied. The previous refresh's watermark is a floor below which DuckDB
    skips every row group (``raw_*`` is appended in id order): a whole scan of 97 M
    registrant ids costs 50–90 ms, twice per refresh. Rows above the floor can only be gone
    if the replica deleted its newest rows; then the whole table is scanned."""
    floor = int(state.get(f"watermark_{table}", 0))
    found = run(con, f"SELECT max(id) FROM raw_{table} WHERE id >= {floor}")[0][0]
    return (
        found if found is not None else scalar(con, f"SELECT coalesce(max(id), 0) FROM raw_{table}")
    )


def _copy_spans(
    con: duckdb.DuckDBPyConnection,
    url: str,
    table: str,
    spans: list[Span],
    into: str,
    workdir: Path,
    absent: frozenset[str] = frozenset(),
) -> None:
    """Copy the replica's rows with ``lo < id <= hi`` for each span into the staging table
    ``into`` (NULL for the ``absent`` optional columns); values the contract's types cannot
    hold are schema drift (text in ``amount_idr``, say)."""
    try:
        if urls.is_sqlite(url):
            for span in spans:
                _copy_from_sqlite(con, url, table, span, into, absent)
        else:
            with pg_connect(url) as source:
                _copy_from_postgres(con, source, table, spans, into, workdir, absent)
    except (duckdb.ConversionException, duckdb.InvalidInputException) as error:
        raise SchemaDriftError(
            f"Replika tidak sesuai kontrak data: tabel {table} berisi nilai yang bukan tipe "
            f"kontraknya ({first_line(error)[:160]})."
        ) from error


def _full_spans(engine: Engine, table: str) -> list[Span]:
    """A whole table as consecutive id spans of about ``COPY_SPAN_IDS`` ids (at most
    ``MAX_COPY_SPANS``), the last one open: rows inserted meanwhile are copied too."""
    top = _replica_max_id(engine, table)
    count = min(MAX_COPY_SPANS, max(1, -(-top // COPY_SPAN_IDS)))
    width = -(-top // count)
    lows = [index * width for index in range(count)]
    return [(low, low + width) for low in lows[:-1]] + [(lows[-1], OPEN_END)]


def synthetic_scale(engine: Engine) -> float | None:
    """The demo generator's scale (1.0 = the programme's size) when the replica carries its
    ``synthetic_dataset`` marker; None for a real replica."""
    try:
        with engine.connect() as conn:
            return float(
                conn.execute(text("SELECT max(scale) FROM synthetic_dataset")).scalar_one()
            )
    except (SQLAlchemyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Source:
    """What the version's ``meta`` says about the replica, read before copying."""

    url: str
    status: ReplicaStatus
    writable: list[str]
    scale: float | None
    absent: frozenset[str] = frozenset()
    """The optional contract columns the replica lacks (``contract.OPTIONAL_COLUMNS``)."""


def _write_meta(con: duckdb.DuckDBPyConnection, source: Source, mode: str) -> None:
    period = con.execute("SELECT min(day), max(day) FROM version.facts").fetchall()[0]
    lag = source.status.lag_seconds
    meta = {
        "schema_version": SCHEMA_VERSION,
        "source_kind": "replica" if source.scale is None else "demo",
        "population_scale": f"{source.scale or 1.0:g}",
        "replica_kind": source.status.kind,
        "replica_url": make_url(source.url).render_as_string(hide_password=True),
        "replica_as_of": source.status.as_of.isoformat(),
        "lag_seconds": "" if lag is None else f"{lag:.1f}",
        "refreshed_at": datetime.now().astimezone().isoformat(),
        "data_from": str(period[0] or ""),
        "data_until": str(period[1] or ""),
        "weeks_before": weeks_before(period[1]).isoformat(),
        "sync_mode": mode,
        "replica_writable": "; ".join(source.writable),
        "has_districts": "0" if "district_code" in source.absent else "1",
    }
    run(con, "CREATE OR REPLACE TABLE version.meta (key VARCHAR, value VARCHAR)")
    run(
        con,
        "INSERT INTO version.meta SELECT * FROM (VALUES " + ", ".join(["(?, ?)"] * len(meta)) + ")",
        [item for pair in meta.items() for item in pair],
    )


def _needs_full_rebuild(
    con: duckdb.DuckDBPyConnection,
    state: dict[str, str],
    engine: Engine,
    url: str,
    absent: frozenset[str],
) -> bool:
    """A full rebuild when the staging holds no finished refresh, its schema changed, the
    source changed, an optional column appeared or went (the copied rows hold NULL or values
    for it: they must all be read again), or the replica holds fewer rows than we copied (it
    was rebuilt: the id watermarks are void)."""
    same_source = state.get("replica_url") == make_url(url).render_as_string(hide_password=True)
    same_columns = state.get("absent_columns") == _absent_text(absent)
    if state.get("schema_version") != SCHEMA_VERSION or not same_source or not same_columns:
        return True
    return any(
        _replica_max_id(engine, table.name) < _watermark(con, table.name, state)
        for table in FACT_TABLES
    )


def _ids_not_positive(engine: Engine) -> dict[str, int]:
    """Rows per table whose id is zero or negative. Copies take ids above a watermark that
    starts at 0, so these never reach the staging: counted here (an index range on the
    primary key) so that they are quarantined like every other contract break."""
    found = {}
    for table in (*DIMENSION_TABLES, *FACT_TABLES):
        sql = f"SELECT count(*) FROM {table.name} WHERE id <= :highest"
        rows = int(run_readonly(engine, sql, {"highest": 0})[0][0])
        if rows:
            found[table.name] = rows
    return found


def _quarantine_ids_not_positive(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> None:
    """Replace the version's ``id_not_positive`` quarantine rows with this refresh's counts
    (an update keeps the previous version's rows otherwise; the count is fresh each time)."""
    run(con, "DELETE FROM version.quarantine WHERE reason = $reason", {"reason": ID_NOT_POSITIVE})
    for table, rows in counts.items():
        run(
            con,
            "INSERT INTO version.quarantine (table_name, reason, rows) VALUES ($t, $r, $n)",
            {"t": table, "r": ID_NOT_POSITIVE, "n": rows},
        )


def _replica_max_id(engine: Engine, table: str) -> int:
    # the table name comes from the contract, never from input
    return int(run_readonly(engine, f"SELECT coalesce(max(id), 0) FROM {table}")[0][0])


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
    url = urls.normalize_url(url)  # libpq's "h1:p1,h2:p2" form → SQLAlchemy's ?host= form
    started = time.perf_counter()
    remove_leftovers(directory)
    engine = replica_engine(url)
    try:
        status = replica_status(engine)
        writable = check_read_only(engine)
        absent = _check_schema(engine)
        source = Source(url, status, writable, synthetic_scale(engine), absent)
        with staging.opened(directory / staging.STAGING_FILE) as con:
            state = staging.read_state(con)
            full = full or _needs_full_rebuild(con, state, engine, url, absent)
            if full:
                staging.reset(con)
                state = {}
            report = SyncReport(mode="full" if full else "incremental")
            report.ids_not_positive = _ids_not_positive(engine)
            with tempfile.TemporaryDirectory(dir=directory) as workdir:
                plan = _fill(con, engine, source, state, report, Path(workdir), progress)
            target = _publish(con, directory, plan, state, report, source)
    finally:
        engine.dispose()
    report.seconds = time.perf_counter() - started
    report.store_path = target
    report.store_bytes = target.stat().st_size
    report.staging_bytes = (directory / staging.STAGING_FILE).stat().st_size
    progress("selesai", 1.0)
    return report


def _publish(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    plan: staging.Plan,
    state: dict[str, str],
    report: SyncReport,
    source: Source,
) -> Path:
    """Write the new version (the previous one's small file updated for the people touched,
    or the pre-aggregates built whole), commit the staging, then point ``CURRENT`` at it.

    The staging records which version its rows belong to: a kill between its commit and the
    pointer's rename leaves them different, and the next refresh rebuilds the pre-aggregates
    from the staging instead of updating a version that lacks the last rows."""
    target = directory / f"store-{datetime.now():%Y%m%dT%H%M%S%f}.duckdb"
    building = directory / (target.name + ".building")
    previous = current_version(directory)
    until = latest_valid_time()
    if report.mode == "incremental":
        report.rebuilt_because = _why_rebuild(previous, state, plan)
    update = report.mode == "incremental" and not report.rebuilt_because
    try:
        if update:
            assert previous is not None  # else _why_rebuild gave a reason: no update
            shutil.copyfile(previous, building)
        run(con, "ATTACH $path AS version", {"path": str(building)})
        load_code_map(con)
        if update:
            report.facts_rows_touched = staging.update_facts(
                con, plan, datetime.fromisoformat(state["until"]), until
            )
        else:
            staging.copy_dimensions(con, "version")
            staging.rebuild_facts(con, plan, until)
        _quarantine_ids_not_positive(con, report.ids_not_positive)
        _write_meta(con, source, report.mode)
        run(con, "CHECKPOINT version")
        run(con, "DETACH version")
        state = {**_state(source), "version": target.name, "until": until.isoformat()}
        staging.commit(con, plan, state, updated=update)
    except BaseException:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
        raise
    building.rename(target)
    publish_version(directory, target)
    return target


def _state(source: Source) -> dict[str, str]:
    return {
        "schema_version": SCHEMA_VERSION,
        "replica_url": make_url(source.url).render_as_string(hide_password=True),
        "code_map": staging.code_map_digest(),
        "absent_columns": _absent_text(source.absent),
    }


def _absent_text(absent: frozenset[str]) -> str:
    return ",".join(sorted(absent))


def _why_rebuild(previous: Path | None, state: dict[str, str], plan: staging.Plan) -> str:
    """Why the previous version cannot just be updated (empty when it can): it must hold
    exactly the staging's rows as of ``state["until"]``, mapped with today's code mapping,
    with the same dimension tables."""
    if previous is None or previous.name != state.get("version"):
        return "versi terbit tidak sama dengan data pementasan"
    if plan.dimensions_changed:
        return "tabel dimensi berubah"
    if state.get("code_map") != staging.code_map_digest():
        return "pemetaan kode wilayah berubah"
    try:
        check_readable(previous)
    except StoreCorruptError as error:
        return str(error)
    return ""


def check_read_only(engine: Engine) -> list[str]:
    """What the replica role could write; refuse unless the operator accepted the risk."""
    writable = write_privileges(engine)
    if writable and not accepts_writable_replica():
        raise WritableReplicaError(
            f"Peran basis data replika dapat menulis ({'; '.join(writable)}). Gunakan peran "
            "yang hanya boleh SELECT (lihat docs/DATA_CONTRACT.md), atau setel "
            f"{ACCEPT_WRITABLE_REPLICA.env}=1 untuk menerima risikonya."
        )
    return writable


def _check_schema(engine: Engine) -> frozenset[str]:
    """Every contract table and column the store copies must exist on the replica, except the
    optional ones: returns those it lacks."""
    absent = frozenset(
        column
        for table, optional in OPTIONAL_COLUMNS.items()
        for column in optional
        if not _has_column(engine, table, column)
    )
    for table, every in STORE_COLUMNS.items():
        columns = [column for column in every if column not in absent]
        try:  # table and column names come from the contract, never from input
            run_readonly(engine, f"SELECT {', '.join(columns)} FROM {table} WHERE 1 = 0")
        except SQLAlchemyError as error:
            raise SchemaDriftError(
                f"Replika tidak sesuai kontrak data: tabel {table} atau salah satu kolomnya "
                f"({', '.join(columns)}) tidak ada ({first_line(error)[:160]})."
            ) from error
    return absent


def _has_column(engine: Engine, table: str, column: str) -> bool:
    try:  # names come from the contract, never from input
        run_readonly(engine, f"SELECT {column} FROM {table} WHERE 1 = 0")
    except SQLAlchemyError:
        return False
    return True


def _fill(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    source: Source,
    state: dict[str, str],
    report: SyncReport,
    workdir: Path,
    progress: Progress,
) -> staging.Plan:
    """Copy into the staging what changed on the replica, without touching ``raw_*`` yet:
    dimension tables whole, fact tables' new ids, the trailing window of late commits, and
    one reconciled slice of older ids whose count or id sum differs from the replica."""
    url, absent = source.url, source.absent
    plan = staging.Plan(full=report.mode == "full")
    tables = [*DIMENSION_TABLES, *FACT_TABLES]
    for done, table in enumerate(tables):
        progress(f"menyalin {table.name}", 0.8 * done / len(tables))
        name = table.name
        staging.prepare(con, name, _raw_ddl(name))
        if table in DIMENSION_TABLES:
            _copy_spans(con, url, name, [(0, OPEN_END)], f"incoming_{name}", workdir)
            plan.dimensions_changed |= staging.differs(con, name)
            continue
        if plan.full:
            full_spans = _full_spans(engine, name)
            _copy_spans(con, url, name, full_spans, f"raw_{name}", workdir, absent)
            report.rows_copied[name] = count_rows(con, f"raw_{name}")
            continue
        plan.watermarks[name] = _watermark(con, name, state)
        plan.cursors[f"watermark_{name}"] = str(plan.watermarks[name])
        after = max(0, plan.watermarks[name] - LATE_ROWS_WINDOW)
        spans = [(after, OPEN_END)]
        checked = _reconcile_span(int(state.get(f"reconciled_{name}", 0)), after)
        plan.cursors[f"reconciled_{name}"] = str(checked[1] if checked[1] < after else 0)
        if not _matches_replica(con, engine, name, checked):
            spans.append(checked)
            report.recopied.append(name)
        _copy_spans(con, url, name, spans, f"incoming_{name}", workdir, absent)
        plan.spans[name] = spans
        report.rows_copied[name] = staging.net_rows(con, name, spans)
    return plan


def _reconcile_span(cursor: int, after: int) -> Span:
    """The next ``RECONCILE_IDS`` ids below the window, from where the last refresh stopped:
    every id is compared within ``after / RECONCILE_IDS`` refreshes, each one costing an
    index range scan of that many ids instead of the whole table."""
    low = cursor if cursor < after else 0
    return low, min(low + RECONCILE_IDS, after)


def _matches_replica(
    con: duckdb.DuckDBPyConnection, engine: Engine, table: str, span: Span
) -> bool:
    """Same row count and id sum in the span (an index-only range scan on the replica):
    otherwise a row committed later than the window, or one was deleted."""
    low, high = span
    sql = f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE id > :low AND id <= :high"
    ((count, total),) = run_readonly(engine, sql, {"low": low, "high": high})
    ours = run(
        con,
        f"SELECT count(*), coalesce(sum(id), 0) FROM raw_{table} WHERE id > $low AND id <= $high",
        {"low": low, "high": high},
    )[0]
    return (int(count), int(total)) == (int(ours[0]), int(ours[1]))


# --- the refresh of the configured or demo replica: the app, the service and the command ----


def default_store_dir() -> Path:
    return store_dir(data_dir())


def refresh(
    explicit_url: str | None = None, *, full: bool = False, progress: Progress | None = None
) -> SyncReport:
    """Refresh the store from the given, configured or demo replica (under the lock)."""
    directory = default_store_dir()
    with exclusive(directory):
        return refresh_locked(explicit_url, directory, full=full, progress=progress)


def refresh_locked(
    explicit_url: str | None, directory: Path, *, full: bool, progress: Progress | None
) -> SyncReport:
    """:func:`refresh` for a caller that holds the lock (``queries.bootstrap.ensure_store``)."""
    try:  # what fails before the sync (a bad setting, the demo build) is recorded here
        url, kind = (explicit_url, "replica") if explicit_url else demo.source()
        if kind == "demo":
            demo.ensure_demo_replica(_scaled(progress, 0.0, 0.6))
    except Exception as error:
        record_failure(directory, describe(error))
        raise
    offset = 0.6 if kind == "demo" else 0.0
    return sync_locked(url, directory, full=full, progress=_scaled(progress, offset, 1.0))


def _scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """Map a step's 0–1 progress into [start, end] of the overall bar."""
    if progress is None:
        return None
    return lambda step, fraction: progress(step, start + (end - start) * fraction)


def main(argv: list[str] | None = None) -> int:
    return run_command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queries.sync", description=__doc__)
    parser.add_argument("--full", action="store_true", help="rebuild the store from scratch")
    parser.add_argument("--replica", help="replica URL (default: configured, else the demo)")
    args = parser.parse_args(argv)
    report = refresh(args.replica, full=args.full, progress=terminal())
    recopied = f"; disalin ulang karena berbeda: {', '.join(report.recopied)}" * bool(
        report.recopied
    )
    recopied += f"; agregat dibangun ulang: {report.rebuilt_because}" * bool(report.rebuilt_because)
    print(
        f"Mode {report.mode}: {report.rows_copied} baris disalin dalam {report.seconds:.1f} s;"
        f" penyimpanan {report.store_bytes / 1e6:.1f} MB ({report.store_path}){recopied}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
