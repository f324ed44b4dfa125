"""The pre-aggregates a store version holds, built whole or updated for the people touched.

``facts`` counts each person once, on the day of their *first* event of each kind
(registration, selection, first completed training, first payment) and sums Rupiah on the day
paid, keeping every filter dimension — so any date range, region or demographic filter is a
plain SUM over it. The :data:`WEEKLY` tables hold the same sums per ISO week, each over fewer
dimensions, for the closed weeks (before the week of the last day, :func:`weeks_before`): a
period is read as its whole closed weeks from one of them plus the other days from ``facts``,
a fraction of the rows (``queries.metrics``). ``quarantine`` and
``unknown_codes`` count rows the same way. ``district_facts`` and its two weekly tables are the
kecamatan level: the same sums per kecamatan, over the person's dimensions and the wave only
(no platform or partner, which would multiply the rows for no screen).

Every figure depends on one person's rows only (the contract's checks are per person, see
``queries.quality``), except where two people's rows share an id: those people are refreshed
together. So a refresh can update the three tables exactly: run the same SQL over the touched
people's rows as they were (``old``) and as they are now (``new``), subtract the first and add
the second. Tests compare the result with a whole rebuild (``tests/test_incremental.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from geo.regions import UNKNOWN_DISTRICT_SUFFIX, districts
from geo.vintages import UNKNOWN, code_mapping
from queries.duck import count_rows, run
from queries.quality import quarantine_params, quarantine_sql

PERSON_KEYS = (
    "day",
    "province_code",
    "regency_code",
    "channel",
    "gender",
    "age_band",
    "disability",
)
"""The day and what a person is: every query may filter on these."""
KEYS = (*PERSON_KEYS, "wave", "platform_id", "partner_id")
DISTRICT_KEYS = (*PERSON_KEYS[:3], "district_code", *PERSON_KEYS[3:], "wave")
"""The kecamatan level's keys: every regency-level filter but the platform and partner."""
DAILY_ORDER = "day, province_code, regency_code"
"""The daily tables are read only for the few days at a period's ends (and ``facts`` whole
for the outreach effect), so they are sorted by day: those reads skip all other days' row
groups, and within a day a region's rows lie together."""
WEEKLY_ORDER = "province_code, regency_code, day"
"""The weekly tables answer whole periods for a region, so they are sorted by region first."""
WEEK_START = "CAST(date_trunc('week', day) AS DATE) AS day"

DAILY = {"facts": KEYS, "district_facts": DISTRICT_KEYS}
"""The tables summed per day, and their keys; each is its own aggregation of the same rows."""


@dataclass(frozen=True)
class Weekly:
    """A weekly table: a daily table (``source``) summed per ISO week (``day`` the Monday)
    over ``keys`` only, for the ``rows`` matching a predicate. A query reads the smallest one
    that has the keys it filters and groups on."""

    keys: tuple[str, ...]
    rows: str = "TRUE"
    source: str = "facts"


WEEKLY = {
    "weekly_people": Weekly(PERSON_KEYS),
    "weekly_waves": Weekly((*PERSON_KEYS, "wave")),
    "weekly_platforms": Weekly((*PERSON_KEYS, "wave", "platform_id"), "platform_id IS NOT NULL"),
    "weekly_partners": Weekly((*PERSON_KEYS, "wave", "partner_id"), "partner_id IS NOT NULL"),
    "weekly_district_totals": Weekly(DISTRICT_KEYS[:4], source="district_facts"),
    "weekly_district_people": Weekly(DISTRICT_KEYS[:-1], source="district_facts"),
    "weekly_districts": Weekly(DISTRICT_KEYS, source="district_facts"),
}
"""At scale 6 ``facts`` has 8.9 M rows; per week and without the wave, platform and partner
(which multiply a person's later events) the people's table has 0.3 M. The kecamatan level
has the same split: without the wave (most views) and with it, and a third table without
the person's dimensions either, for views without a filter on them (a province's kecamatan
map: Jawa Barat's 627 kecamatan are ~13 k weekly rows there, 0.2–0.6 M in the people's)."""


def weeks_before(last_day: date | None) -> date:
    """The Monday of the week holding the store's last day (``max(day)`` of ``facts``): the
    weekly tables hold the closed weeks before it only, and queries read the days from it on
    from the daily tables (``queries.metrics``). So a refresh that adds a day to the open
    week rewrites no weekly row (at scale 6 those rewrites scanned every weekly table, 10 M
    kecamatan rows, on every refresh); the refresh that opens a new week appends the closed
    one, summed from the daily tables. ``date.min`` for an empty store."""
    if last_day is None:
        return date.min
    return last_day - timedelta(days=last_day.weekday())


def stored_weeks_before(con: duckdb.DuckDBPyConnection, target: str) -> date:
    """:func:`weeks_before` of ``target``'s ``facts`` as they are now."""
    last = run(con, f"SELECT max(day) FROM {target}.facts")[0][0]
    return weeks_before(last)


TABLES = (*DAILY, *WEEKLY)
PARTS = (*DAILY, "quarantine", "unknown")
"""What one aggregation writes, each under a prefix (:func:`aggregate`)."""

COUNTS = {
    "registrants": "INTEGER",
    "recipients": "INTEGER",
    "completed": "INTEGER",
    "paid": "INTEGER",
    "paid_idr": "BIGINT",
}


def facts_sql(prefix: str) -> str:
    """The aggregation over the ``valid_*`` tables into the daily tables and ``unknown``, each
    named ``{prefix}<part>`` (a prefix ``temp.x_`` makes temp tables)."""
    daily = ";\n".join(  # unsorted: sum_parts sorts the sums, a merge only reads them
        f"CREATE OR REPLACE {_created(prefix + table)} AS SELECT {', '.join(keys)}, {_sums()} "
        f"FROM fine GROUP BY ALL"
        for table, keys in DAILY.items()
    )
    return f"""
-- One wide row per combination of dimensions, one column per metric, narrow types: plain
-- SUMs over it are about six times faster than FILTERed sums over a long table. A kecamatan
-- code counts when it is one of the person's (current) regency's kecamatan, written with the
-- regency code the row carries or the current one (district_map): any other, or none, counts
-- in the regency's 'RRRR??' row, so the kecamatan of a regency add up to it.
CREATE OR REPLACE TEMP TABLE people AS
SELECT r.id AS registrant_id,
       coalesce(m.regency_code, $unknown) AS regency_code,
       coalesce(d.code, coalesce(m.regency_code, $unknown) || $unknown_district)
           AS district_code,
       r.channel, r.gender, r.disability,
       CASE WHEN age < 18 THEN '<18' WHEN age <= 25 THEN '18-25' WHEN age <= 35 THEN '26-35'
            WHEN age <= 45 THEN '36-45' WHEN age <= 55 THEN '46-55' WHEN age <= 64 THEN '56-64'
            ELSE '65+' END AS age_band,
       CAST(r.registered_at AS DATE) AS day
FROM (SELECT *, year(registered_at) - birth_year AS age FROM valid_registrants) r
LEFT JOIN code_map m ON m.source_code = r.regency_code
LEFT JOIN district_map d
    ON d.source_regency = r.regency_code AND d.source_code = r.district_code;

CREATE OR REPLACE TEMP TABLE first_selection AS
SELECT registrant_id, arg_min(wave, selected_at) AS wave,
       CAST(min(selected_at) AS DATE) AS day
FROM valid_recipients GROUP BY registrant_id;

CREATE OR REPLACE TEMP TABLE fine AS
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
SELECT e.day, left(p.regency_code, 2) AS province_code, p.regency_code, p.district_code,
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
GROUP BY ALL;

{daily};

CREATE OR REPLACE {_created(prefix + "unknown")} AS
SELECT r.regency_code AS source_code, count(*) AS registrants
FROM valid_registrants r ANTI JOIN code_map m ON m.source_code = r.regency_code
GROUP BY r.regency_code ORDER BY registrants DESC, source_code;
"""


def _run_script(con: duckdb.DuckDBPyConnection, script: str, params: dict) -> None:
    for statement in filter(str.strip, script.split(";")):
        run(con, statement, {k: v for k, v in params.items() if f"${k}" in statement})


def district_mapping() -> pd.DataFrame:
    """Every (regency code, kecamatan code) pair a registrant may carry → current kecamatan
    code: source_regency, source_code, code. A kecamatan is known by its current code, and —
    for a regency renumbered in 2022 — by its old regency code with the same last two digits
    (910101 under 9101 is 930101 under 9301, as Kemendagri renumbered them)."""
    pairs = code_mapping().merge(districts()[["code", "regency_code"]], on="regency_code")
    pairs = pairs.rename(columns={"source_code": "source_regency"})
    current = pairs.assign(source_code=pairs["code"])
    renumbered = pairs.assign(source_code=pairs["source_regency"] + pairs["code"].str[4:])
    frame = pd.concat([current, renumbered])[["source_regency", "source_code", "code"]]
    return frame.drop_duplicates(ignore_index=True)


def load_code_map(con: duckdb.DuckDBPyConnection) -> None:
    """The regency code mapping to the current vintage and the kecamatan mapping
    (:func:`district_mapping`), as temp tables."""
    for name, frame in (("code_map", code_mapping()), ("district_map", district_mapping())):
        con.register(f"{name}_frame", frame)
        run(con, f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
        con.unregister(f"{name}_frame")


def aggregate(con: duckdb.DuckDBPyConnection, source: str, until: datetime, prefix: str) -> None:
    """Check the ``{source}_*`` rows as of ``until`` and write the :data:`PARTS` (daily
    tables, quarantine, unknown regency codes) as ``{prefix}<part>``; needs
    :func:`load_code_map` first."""
    params = {
        **quarantine_params(until),
        "unknown": UNKNOWN,
        "unknown_district": UNKNOWN_DISTRICT_SUFFIX,
    }
    _run_script(con, quarantine_sql(source, _created(prefix + "quarantine")), params)
    _run_script(con, facts_sql(prefix), params)


def _created(name: str) -> str:
    """``temp.x`` → ``TEMP TABLE x`` (DuckDB names temp tables only that way)."""
    return f"TEMP TABLE {name[5:]}" if name.startswith("temp.") else f"TABLE {name}"


def _key_match(left: str, right: str, keys: tuple[str, ...]) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in keys)


def _summed(frame: str, keys: tuple[str, ...] = KEYS, sign: str = "") -> str:
    counts = ", ".join(f"{sign}{name}" for name in COUNTS)
    return f"SELECT {', '.join(keys)}, {counts} FROM {frame}"


def _sums() -> str:
    """Each count summed back to its column type."""
    return ", ".join(f"CAST(sum({name}) AS {kind}) AS {name}" for name, kind in COUNTS.items())


def _changes() -> str:
    return " OR ".join(f"sum({name}) <> 0" for name in COUNTS)


def _weekly_rows(source: str, table: str, since: date, before: date) -> str:
    """``source``'s rows (the table's daily source or a delta of it) from ``since`` to the
    day before ``before`` (both Mondays) summed as ``table`` sums them."""
    spec = WEEKLY[table]
    keys = ", ".join(WEEK_START if key == "day" else key for key in spec.keys)
    days = f"day >= DATE '{since.isoformat()}' AND day < DATE '{before.isoformat()}'"
    return f"SELECT {keys}, {_sums()} FROM {source} WHERE {spec.rows} AND {days} GROUP BY ALL"


def merge_facts(con: duckdb.DuckDBPyConnection, target: str, old: str, new: str) -> int:
    """``target``'s daily and weekly tables − the ``{old}<table>`` + the ``{new}<table>``
    rows, rewriting only the rows whose counts change (an affected person's unchanged
    registration nets to zero and its row is left alone; rows that fall to zero go, as a
    rebuild would never make them); returns the ``facts`` keys changed.

    The weekly tables take the changes of their closed weeks only (none, on a normal day:
    the day's rows fall in the open week); when the last day moves into a new week, the
    weeks it closed are appended from the updated daily tables (and weeks it reopened, if
    the last day moved back, are deleted), as :func:`sum_parts` would build them."""
    before = stored_weeks_before(con, target)
    for table, keys in DAILY.items():
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE delta_{table} AS SELECT {", ".join(keys)}, {_sums()}
            FROM ({_summed(new + table, keys)} UNION ALL {_summed(old + table, keys, "-")})
            GROUP BY ALL HAVING {_changes()}""",
        )
        _apply_delta(con, f"{target}.{table}", f"delta_{table}", keys, DAILY_ORDER)
    after = stored_weeks_before(con, target)
    closed = min(before, after)
    for table, spec in WEEKLY.items():
        weekly = f"{target}.{table}"
        delta = _weekly_rows(f"delta_{spec.source}", table, date.min, closed)
        run(con, f"CREATE OR REPLACE TEMP TABLE weekly_delta AS {delta} HAVING {_changes()}")
        if count_rows(con, "weekly_delta"):
            _apply_delta(con, weekly, "weekly_delta", spec.keys, WEEKLY_ORDER)
        if after < before:
            run(con, f"DELETE FROM {weekly} WHERE day >= DATE '{after.isoformat()}'")
        elif after > before:
            rows = _weekly_rows(f"{target}.{spec.source}", table, before, after)
            run(con, f"INSERT INTO {weekly} {rows} ORDER BY {WEEKLY_ORDER}")
    return count_rows(con, "delta_facts")


def _apply_delta(
    con: duckdb.DuckDBPyConnection, table: str, delta: str, keys: tuple[str, ...], order: str
) -> None:
    """Add the ``delta`` rows to ``table``: the rows they hit are found once and deleted by
    ``rowid`` (one pass over the table), then written back summed with the delta, sorted as a
    rebuild sorts them so that they stay prunable."""
    columns = ", ".join(keys)
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE hit AS SELECT f.rowid AS row_id, f.*
        FROM {table} f SEMI JOIN {delta} d ON {_key_match("f", "d", keys)}""",
    )
    run(con, f"DELETE FROM {table} WHERE rowid IN (SELECT row_id FROM hit)")
    run(
        con,
        f"""INSERT INTO {table} SELECT {columns}, {_sums()}
        FROM ({_summed("hit", keys)} UNION ALL {_summed(delta, keys)})
        GROUP BY ALL HAVING {_changes()} ORDER BY {order}""",
    )


COUNT_TABLES = (
    ("quarantine", "table_name, reason", "rows", "table_name, reason"),
    ("unknown_codes", "source_code", "registrants", "registrants DESC, source_code"),
)
COUNT_PARTS = ("quarantine", "unknown")
"""The :data:`PARTS` each of :data:`COUNT_TABLES` is summed from."""


def merge_counts(con: duckdb.DuckDBPyConnection, target: str, old: str, new: str) -> None:
    """The same subtraction for the small ``quarantine`` and ``unknown_codes`` tables, from
    the ``{old}`` and ``{new}`` prefixed parts."""
    for spec, part in zip(COUNT_TABLES, COUNT_PARTS, strict=True):
        table, keys, value, _ = spec
        old_part, new_part = old + part, new + part
        _write_counts(
            con,
            target,
            spec,
            f"""SELECT {keys}, {value} FROM {target}.{table}
            UNION ALL SELECT {keys}, {value} FROM {new_part}
            UNION ALL SELECT {keys}, -{value} FROM {old_part}""",
        )


def _write_counts(
    con: duckdb.DuckDBPyConnection, target: str, spec: tuple[str, str, str, str], rows: str
) -> None:
    """``target``'s count table (a :data:`COUNT_TABLES` entry) as the sums of ``rows``."""
    table, keys, value, order = spec
    run(
        con,
        f"""CREATE OR REPLACE TABLE {target}.{table} AS
        SELECT {keys}, CAST(sum({value}) AS BIGINT) AS {value} FROM ({rows})
        GROUP BY ALL HAVING sum({value}) <> 0 ORDER BY {order}""",
    )


def sum_parts(con: duckdb.DuckDBPyConnection, target: str, prefix: str) -> None:
    """``target``'s daily tables, quarantine and unknown_codes as the sums of the per-chunk
    rows in the ``{prefix}<part>`` tables: each figure counts one person's rows, so the chunks
    of people add up to one aggregation over everyone. Sorted as :func:`facts_sql` sorts; the
    weekly tables from their daily ones, their closed weeks only (:func:`weeks_before`)."""
    for table, keys in DAILY.items():
        run(
            con,
            f"""CREATE OR REPLACE TABLE {target}.{table} AS SELECT {", ".join(keys)}, {_sums()}
            FROM {prefix}{table} GROUP BY ALL ORDER BY {DAILY_ORDER}""",
        )
    closed = stored_weeks_before(con, target)
    for table, spec in WEEKLY.items():
        rows = _weekly_rows(f"{target}.{spec.source}", table, date.min, closed)
        run(con, f"CREATE OR REPLACE TABLE {target}.{table} AS {rows} ORDER BY {WEEKLY_ORDER}")
    for counts, part in zip(COUNT_TABLES, COUNT_PARTS, strict=True):
        _write_counts(con, target, counts, f"SELECT {counts[1]}, {counts[2]} FROM {prefix}{part}")
