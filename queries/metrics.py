"""Every aggregate the screens show, as named functions over the store's ``facts`` tables.

Each function takes a :class:`~queries.store.Store` and a validated
:class:`~queries.filters.Filters` and returns a DataFrame whose columns its docstring lists.
SQL texts are module constants; values are always bound parameters. Only aggregates leave
this module: ``facts`` holds counts, never people.

Metric columns, everywhere:
``registrants`` (registered in the period), ``recipients`` (first selected in the period),
``completed`` (first training completed in the period), ``paid`` (first incentive received
in the period) and ``paid_idr`` (Rupiah paid in the period).

Kecamatan (district) level: :func:`district_metrics` (one row per kecamatan of a regency or
a province, with each regency's "kecamatan tidak dikenal" row ``RRRR??``, so a regency's rows
add up to its figures exactly) and :func:`has_district_data`. A ``Filters`` whose region is a
kecamatan (6 digits) makes :func:`totals`, :func:`weekly_series`, :func:`funnel` and the
person breakdowns answer for that kecamatan; the platform and partner breakdowns do not exist
at that level.

``python -m queries.metrics --level province|regency|district`` prints the per-region metrics
as CSV, with a ``data_source`` column that says ``synthetic demo`` when the store was built
from the synthetic replica.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from geo.regions import (
    NATION_CODE,
    UNKNOWN_DISTRICT_SUFFIX,
    UnknownRegionError,
    districts,
    normalize_code,
    provinces,
    regencies,
)
from geo.vintages import UNKNOWN
from queries.facts import COUNTS, WEEKLY
from queries.filters import FilterError, Filters
from queries.store import Store

METRICS = ("registrants", "recipients", "completed", "paid", "paid_idr")
PEOPLE_METRICS = ("registrants", "recipients", "completed", "paid")

FILTER_FRAGMENTS = {
    "province": "province_code = $province",
    "regency": "regency_code = $regency",
    "district": "district_code = $district",
    "channels": "list_contains($channels::VARCHAR[], channel)",
    "genders": "list_contains($genders::VARCHAR[], gender)",
    "age_bands": "list_contains($age_bands::VARCHAR[], age_band)",
    "disability": "disability = $disability",
    "waves": "(wave IS NULL OR list_contains($waves::INTEGER[], wave))",
}
"""Constant SQL for each filter; only the active ones are joined into the WHERE clause, so
DuckDB can prune row groups on plain predicates (the weekly tables are sorted by region)."""


def _period_rows(table: str) -> str:
    """The period's rows as ``table`` keeps them: its whole weeks from ``table`` (the closed
    ones: not the store's last week, which only the daily tables hold), the days before the
    first and after the last such week from its daily source (``facts`` or
    ``district_facts``, sorted by day, so only those days' row groups are read).
    ``$weeks_from`` is the first whole week's Monday, ``$weeks_to`` the last one's Sunday
    (before ``$weeks_from`` when the period holds no whole week: then every day comes from the
    daily table)."""
    spec = WEEKLY[table]
    columns = ", ".join([*spec.keys, *COUNTS])
    return f"""(
    SELECT {columns} FROM {table} WHERE day BETWEEN $weeks_from AND $weeks_to
    UNION ALL
    SELECT {columns} FROM {spec.source} WHERE day BETWEEN $date_from AND $date_to
        AND NOT day BETWEEN $weeks_from AND $weeks_to AND {spec.rows}
)"""


PERIOD_ROWS = {table: _period_rows(table) for table in WEEKLY}
DAILY_ROWS = "(SELECT * FROM facts WHERE day BETWEEN $date_from AND $date_to)"
"""The period's rows day by day, for the one query that needs days."""

METRIC_COLUMNS = """
    coalesce(sum(registrants), 0)::BIGINT AS registrants,
    coalesce(sum(recipients), 0)::BIGINT AS recipients,
    coalesce(sum(completed), 0)::BIGINT AS completed,
    coalesce(sum(paid), 0)::BIGINT AS paid,
    coalesce(sum(paid_idr), 0)::BIGINT AS paid_idr
"""

TOTALS_SQL = f"SELECT {METRIC_COLUMNS} FROM {{rows}} WHERE {{where}}"

UNKNOWN_TOTALS_SQL = (
    f"SELECT {METRIC_COLUMNS} FROM {{rows}} WHERE {{where}} AND regency_code = $unknown"
)

PROVINCE_SQL = f"""
SELECT CASE WHEN regency_code = $unknown THEN $unknown ELSE province_code END AS code,
    {METRIC_COLUMNS}
FROM {{rows}} WHERE {{where}} GROUP BY 1
"""
"""The provinces and, as code ``$unknown``, the rows whose regency code is unknown: together
every row, so the nation's whole additive group comes from one statement."""

REGENCY_SQL = f"""
SELECT regency_code AS code, {METRIC_COLUMNS} FROM {{rows}}
WHERE {{where}} AND regency_code <> $unknown GROUP BY regency_code
"""

WEEKLY_SQL = f"""
SELECT CAST(date_trunc('week', day) AS DATE) AS week_start, {METRIC_COLUMNS} FROM {{rows}}
WHERE {{where}} GROUP BY week_start ORDER BY week_start
"""

DAILY_REGENCY_SQL = """
SELECT regency_code AS code, day, coalesce(sum(registrants), 0)::BIGINT AS registrants
FROM {rows} WHERE {where} AND regency_code <> $unknown AND registrants > 0
GROUP BY regency_code, day
"""

BREAKDOWN_SQL = {
    "gender": f"SELECT gender AS value, {METRIC_COLUMNS} FROM {{rows}} WHERE {{where}} "
    "GROUP BY gender ORDER BY gender",
    "age_band": f"SELECT CAST(age_band AS VARCHAR) AS value, {METRIC_COLUMNS} FROM {{rows}} "
    "WHERE {where} GROUP BY age_band ORDER BY age_band",
    "channel": f"SELECT channel AS value, {METRIC_COLUMNS} FROM {{rows}} WHERE {{where}} "
    "GROUP BY channel ORDER BY channel DESC",
    "disability": f"SELECT disability AS value, {METRIC_COLUMNS} FROM {{rows}} "
    f"WHERE {{where}} GROUP BY disability ORDER BY disability DESC",
    "wave": f"SELECT wave AS value, {METRIC_COLUMNS} FROM {{rows}} WHERE {{where}} "
    "AND wave IS NOT NULL GROUP BY wave ORDER BY wave",
    "platform": f"""SELECT p.name AS value, {METRIC_COLUMNS} FROM {{rows}} f
        JOIN raw_platforms p ON p.id = f.platform_id
        WHERE {{where}} AND platform_id IS NOT NULL GROUP BY p.id, p.name ORDER BY p.id""",
    "partner": f"""SELECT p.name AS value, {METRIC_COLUMNS} FROM {{rows}} f
        JOIN raw_payment_partners p ON p.id = f.partner_id
        WHERE {{where}} AND partner_id IS NOT NULL GROUP BY p.id, p.name ORDER BY p.id""",
}
"""One statement per breakdown: the grouping column is fixed text, never user input."""

BREAKDOWN_TABLES = {
    "wave": "weekly_waves",
    "platform": "weekly_platforms",
    "partner": "weekly_partners",
}
"""The weekly table each breakdown needs when the people's table lacks its column."""

BREAKDOWN_LABELS: dict[str, dict[Any, str]] = {
    "gender": {"F": "Perempuan", "M": "Laki-laki"},
    "channel": {"online": "Daring", "offline": "Luring (Disnakertrans)"},
    "disability": {True: "Penyandang disabilitas", False: "Bukan penyandang disabilitas"},
    "age_band": {"<18": "< 18 tahun", "65+": "65+ tahun"},
}

DISTRICT_SQL = f"""
SELECT district_code AS code, {METRIC_COLUMNS} FROM {{rows}}
WHERE {{where}} GROUP BY district_code
"""

UNKNOWN_DISTRICT_NAME = "Kecamatan tidak dikenal"
"""The name of each regency's ``RRRR??`` row."""
NO_DISTRICT_DATA = (
    "Replika tidak memiliki data kecamatan: semua pendaftar dihitung sebagai "
    f"{UNKNOWN_DISTRICT_NAME.lower()}."
)
"""The one line a kecamatan view shows when :func:`has_district_data` is False."""
DISTRICT_BREAKDOWNS = ("gender", "age_band", "channel", "disability", "wave")
"""The breakdowns a kecamatan has (its tables keep no platform or partner)."""

UNKNOWN_CODES_SQL = "SELECT source_code, registrants FROM unknown_codes ORDER BY registrants DESC"
QUARANTINE_SQL = "SELECT table_name, reason, rows FROM quarantine ORDER BY table_name, reason"
DATA_PERIOD_SQL = "SELECT min(day) AS first_day, max(day) AS last_day FROM facts"


def _run(
    store: Store, template: str, filters: Filters, table: str = "", **extra: object
) -> pd.DataFrame:
    """Fill ``{rows}`` with the period's rows from ``table`` (``facts`` for days, a weekly
    table, or by default the smallest one the filters can use) and ``{where}`` with the
    fragments of the active filters, and bind their values."""
    params = {
        name: value
        for name, value in filters.sql_params().items()
        if name in ("date_from", "date_to") or value not in (None, [])
    }
    where = " AND ".join(
        ["TRUE", *(FILTER_FRAGMENTS[name] for name in params if name in FILTER_FRAGMENTS)]
    )
    table = table or _smallest_table(filters)
    if table == "facts":
        rows = DAILY_ROWS
    else:
        rows = PERIOD_ROWS[table]
        monday, sunday = whole_weeks(filters.date_from, filters.date_to)
        params["weeks_from"], params["weeks_to"] = monday, min(sunday, _last_weekly_day(store))
    return store.query(template.format(rows=rows, where=where), {**params, **extra})


def _smallest_table(filters: Filters) -> str:
    """The weekly table with every column the filters need."""
    if filters.district:
        return _district_table(filters)
    return "weekly_waves" if filters.waves else "weekly_people"


def _district_table(filters: Filters) -> str:
    """The kecamatan level's weekly table: with the wave only when the filters need it, with
    the person's dimensions only when they filter on one."""
    if filters.waves:
        return "weekly_districts"
    if filters.channels or filters.genders or filters.age_bands or filters.disability is not None:
        return "weekly_district_people"
    return "weekly_district_totals"


def _last_weekly_day(store: Store) -> date:
    """The last day the weekly tables hold: the Sunday before the week of the store's last
    day (``queries.facts.weeks_before``); the days after it come from the daily tables.
    (Every weekly week for a version written before that key; none for an empty store.)"""
    before = date.fromisoformat(store.meta().get("weeks_before") or date.max.isoformat())
    return before - timedelta(days=1) if date.min < before < date.max else before


def whole_weeks(date_from: date, date_to: date) -> tuple[date, date]:
    """The first Monday on or after ``date_from`` and the last Sunday on or before
    ``date_to``: the ISO weeks wholly inside the period lie between them (none when the
    Monday comes after the Sunday)."""
    monday = date_from + timedelta(days=-date_from.weekday() % 7)
    sunday = date_to - timedelta(days=(date_to.weekday() + 1) % 7)
    return monday, sunday


def totals(store: Store, filters: Filters) -> pd.DataFrame:
    """One row: the metric columns for the filters' region (the nation includes the rows whose
    regency code is unknown; see :func:`unknown_code_totals`)."""
    return _run(store, TOTALS_SQL, filters)


def unknown_code_totals(store: Store, filters: Filters) -> pd.DataFrame:
    """One row: the metric columns of rows whose regency code is not a known code."""
    return _run(store, UNKNOWN_TOTALS_SQL, filters.with_region("ID"), unknown=UNKNOWN)


def population_scale(store: Store) -> float:
    """The share of the population a synthetic replica stands for (its generator's scale; 1.0
    for a real replica). A demo at scale 0.05 has 5% of the programme's people, so rates per
    1,000 population use 5% of each region's population and keep the programme's magnitudes."""
    return float(store.meta().get("population_scale") or 1.0)


def province_groups(store: Store, filters: Filters) -> pd.DataFrame:
    """The nation's additive group in one query: the 38 provinces as :func:`region_metrics`
    gives them, then one row with code ``UNKNOWN`` (no name, province or population) holding
    :func:`unknown_code_totals`. Its rows add up to :func:`totals` of the nation; protecting
    the provinces needed all three, which were three queries on every new filter set."""
    frame = _run(store, PROVINCE_SQL, filters.with_region("ID"), unknown=UNKNOWN)
    unknown = frame["code"] == UNKNOWN
    reference = provinces().assign(province_code=lambda d: d["code"])
    known = _with_reference(store, reference, frame.loc[~unknown])
    unknown_row = frame.loc[unknown, ["code", *METRICS]]
    if unknown_row.empty:
        unknown_row = pd.DataFrame([{"code": UNKNOWN, **dict.fromkeys(METRICS, 0)}])
    return pd.concat(
        [known, unknown_row.astype(dict.fromkeys(METRICS, "int64"))], ignore_index=True
    )


def region_metrics(store: Store, filters: Filters, level: str) -> pd.DataFrame:
    """Per region: code, name, province_code, population (scaled by :func:`population_scale`)
    and the metric columns.

    ``level="province"``: all 38 provinces (the filters' region is ignored, so the map keeps
    its national context). ``level="regency"``: the regencies of the filters' province, or of
    the nation. Regions without activity are included with zeros.
    """
    if level == "province":
        groups = province_groups(store, filters)
        return groups.loc[groups["code"] != UNKNOWN].reset_index(drop=True)
    if level == "regency":
        scope = filters.with_region(filters.province or "ID")
        frame = _run(store, REGENCY_SQL, scope, unknown=UNKNOWN)
        reference = regencies()
        if filters.province:
            reference = reference.loc[reference["province_code"] == filters.province]
    else:
        raise FilterError(f"Tingkat wilayah tidak dikenal: {str(level)[:20]}")
    return _with_reference(store, reference, frame)


def _with_reference(store: Store, reference: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Every region of ``reference`` with its (scaled) population and ``frame``'s metric
    columns, zeros where it has no rows."""
    placed = _with_metrics(reference[["code", "name", "province_code", "population"]], frame)
    placed["population"] = placed["population"] * population_scale(store)
    return placed


def _with_metrics(reference: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``reference`` (one row per code) with ``frame``'s metric columns placed by
    code, zeros where it has no row. By position rather than ``DataFrame.merge``: for a
    province's 650 kecamatan the merge, fillna and casts cost as much as the query."""
    found = pd.Index(reference["code"]).get_indexer(frame["code"])
    values = np.zeros((len(reference), len(METRICS)), dtype="int64")
    values[found[found >= 0]] = frame[list(METRICS)].to_numpy(dtype="int64")[found >= 0]
    placed = reference.reset_index(drop=True)
    placed[list(METRICS)] = values
    return placed


def district_metrics(store: Store, filters: Filters) -> pd.DataFrame:
    """Per kecamatan of the filters' regency (also when the region is one of its kecamatan),
    or of every regency of the filters' province: code (6 digits; ``RRRR??`` for the regency's
    "kecamatan tidak dikenal" row), name, regency_code, province_code, known (False for the
    ``??`` row) and the metric columns. Every kecamatan of the reference is included, with
    zeros if it has no activity, and every regency's ``??`` row, so each regency's rows add up
    exactly to its :func:`region_metrics` row under the same filters. Ordered by regency, then
    code (the ``??`` row last). Raises :class:`FilterError` for the nation."""
    scope = filters.regency or filters.province
    if scope is None:
        raise FilterError("Pilih provinsi atau kabupaten/kota untuk melihat kecamatan.")
    frame = _run(store, DISTRICT_SQL, filters.with_region(scope), _district_table(filters))
    return _with_metrics(_district_reference(scope), frame)


@cache
def _district_reference(scope: str) -> pd.DataFrame:
    """The kecamatan of a province or regency, each regency followed by its ``??`` row (kept
    per scope: building it cost more than the query; callers only merge it into new frames)."""
    known = districts().loc[lambda d: d["code"].str.startswith(scope)]
    regency_codes = regencies().loc[lambda d: d["code"].str.startswith(scope), "code"]
    unknown = pd.DataFrame(
        {
            "code": regency_codes + UNKNOWN_DISTRICT_SUFFIX,
            "name": UNKNOWN_DISTRICT_NAME,
            "regency_code": regency_codes,
            "province_code": regency_codes.str[:2],
        }
    )
    rows = pd.concat([known.assign(known=True), unknown.assign(known=False)])
    columns = ["code", "name", "regency_code", "province_code", "known"]
    return rows.sort_values(["regency_code", "known", "code"], ascending=[True, False, True])[
        columns
    ].reset_index(drop=True)


def has_district_data(store: Store) -> bool:
    """Whether the replica has kecamatan codes (``registrants.district_code``). Without them
    every registrant counts in their regency's ``??`` row, and the kecamatan screens should
    say, in one line, that the replica has no kecamatan data."""
    return store.meta().get("has_districts", "0") == "1"


def weekly_series(store: Store, filters: Filters) -> pd.DataFrame:
    """Per ISO week (Monday start): week_start, the metric columns and ``days``, how many of
    the week's days lie in the period (7 but for a partial first or last week, whose lower
    figures are not a drop: charts mark them)."""
    frame = _run(store, WEEKLY_SQL, filters)
    return frame.assign(
        days=days_in_period(frame["week_start"], filters.date_from, filters.date_to)
    )


def days_in_period(week_starts: pd.Series, date_from: date, date_to: date) -> np.ndarray:
    """For each week (its Monday), the number of its days inside [date_from, date_to]."""
    starts = pd.to_datetime(week_starts).to_numpy(dtype="datetime64[D]")
    first = np.maximum(starts, np.datetime64(date_from, "D"))
    last = np.minimum(starts + np.timedelta64(6, "D"), np.datetime64(date_to, "D"))
    return (last - first).astype(int) + 1


def daily_registrants(store: Store, filters: Filters) -> pd.DataFrame:
    """Per regency and day with registrants (the filters' region is ignored: outreach effects
    compare a regency with others anywhere): code, day, registrants. Days without any are
    left out."""
    return _run(store, DAILY_REGENCY_SQL, filters.with_region("ID"), table="facts", unknown=UNKNOWN)


def breakdown(store: Store, filters: Filters, dimension: str) -> pd.DataFrame:
    """Per value of ``dimension`` (gender, age_band, channel, disability, wave, platform,
    partner): value, label and the metric columns. ``platform`` counts first completed
    trainings by platform; ``partner`` counts first payments and Rupiah by payment partner."""
    if dimension not in BREAKDOWN_SQL:
        raise FilterError(f"Rincian tidak dikenal: {str(dimension)[:20]}")
    table = BREAKDOWN_TABLES.get(dimension, "")
    if filters.district:
        if dimension not in DISTRICT_BREAKDOWNS:
            raise FilterError(f"Rincian {dimension} tidak tersedia per kecamatan.")
        # the person's dimension is the breakdown's own, so the totals table cannot serve
        wave = dimension == "wave" or filters.waves
        table = "weekly_districts" if wave else "weekly_district_people"
    frame = _run(store, BREAKDOWN_SQL[dimension], filters, table)
    labels = BREAKDOWN_LABELS.get(dimension, {})
    # Plain lists: Series.map and a column reorder cost more than the query's Python side.
    names = [_label(dimension, labels, value) for value in frame["value"].tolist()]
    if names or dimension == "wave":
        frame.insert(1, "label", pd.array(names, dtype="str"))
    else:  # no rows: the empty label column keeps the value column's dtype, as it always had
        frame.insert(1, "label", frame["value"].copy())
    return frame  # value, label, then the metrics


def _label(dimension: str, labels: dict[Any, str], value: Any) -> str:
    """What one value of a breakdown is called on screen."""
    if dimension == "wave":
        return f"Gelombang {value}"
    if dimension == "age_band":
        return labels.get(value, f"{value} tahun")
    return labels.get(value, value)


FUNNEL_STAGES = (
    ("registrants", "Pendaftar"),
    ("recipients", "Penerima"),
    ("completed", "Selesai pelatihan pertama"),
    ("paid", "Menerima insentif"),
)


def funnel(store: Store, filters: Filters) -> pd.DataFrame:
    """The four stages: stage, label, people, share_of_previous (0–1; NaN for the first)."""
    row = totals(store, filters).iloc[0]
    people = [int(row[stage]) for stage, _ in FUNNEL_STAGES]
    previous = [float("nan"), *people[:-1]]
    return pd.DataFrame(
        {
            "stage": [stage for stage, _ in FUNNEL_STAGES],
            "label": [label for _, label in FUNNEL_STAGES],
            "people": people,
            "share_of_previous": [
                count / before if before else float("nan")
                for count, before in zip(people, previous, strict=True)
            ],
        }
    )


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the rate columns the maps use: registrants_per_1000 (needs ``population``),
    recipient_rate (recipients per registrant), completion_rate (completed per recipient),
    paid_rate (paid per completed). A rate with a zero denominator is NaN, not 0, and so is
    one over a missing (hidden, NA) count. On plain arrays: pandas' per-column copies and
    alignment were most of the time, for at most 514 rows."""

    def floats(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype="float64", na_value=np.nan)

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)

    rates = {}
    if "population" in frame:
        rates["registrants_per_1000"] = ratio(floats("registrants"), floats("population") / 1000)
    rates["recipient_rate"] = ratio(floats("recipients"), floats("registrants"))
    rates["completion_rate"] = ratio(floats("completed"), floats("recipients"))
    rates["paid_rate"] = ratio(floats("paid"), floats("completed"))
    return frame.assign(**rates)


def unknown_codes(store: Store) -> pd.DataFrame:
    """Raw regency codes that are neither current nor known pre-2022 codes: source_code,
    registrants. Shown on the data page; such rows are left out of maps."""
    return store.query(UNKNOWN_CODES_SQL)


def quarantine(store: Store) -> pd.DataFrame:
    """Rows left out of every figure because they break the data contract: table_name,
    reason (a code of ``queries.quality.REASONS``), rows."""
    return store.query(QUARANTINE_SQL)


def data_period(store: Store) -> tuple[date, date]:
    """First and last day with any activity in the store."""
    row = store.query(DATA_PERIOD_SQL).iloc[0]
    return pd.Timestamp(row["first_day"]).date(), pd.Timestamp(row["last_day"]).date()


def main(argv: list[str] | None = None) -> int:
    from queries.cli import run_command

    return run_command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from queries.bootstrap import ensure_store

    parser = argparse.ArgumentParser(prog="python -m queries.metrics", description=__doc__)
    parser.add_argument("--level", choices=("province", "regency", "district"), required=True)
    parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
    parser.add_argument("--to", dest="date_to", type=date.fromisoformat)
    parser.add_argument("--province", help="2-digit province code (regency or district level)")
    parser.add_argument("--regency", help="4-digit regency code (district level)")
    parser.add_argument("--format", choices=("csv",), default="csv")
    args = parser.parse_args(argv)
    store = Store.open_current(ensure_store(notify=lambda line: print(line, file=sys.stderr)))
    first, last = data_period(store)
    try:
        filters = Filters(
            date_from=args.date_from or first,
            date_to=args.date_to or last,
            region=_cli_region(args.level, args.province, args.regency),
        )
        if args.level == "district":
            frame = district_metrics(store, filters)
            if not has_district_data(store):
                print(NO_DISTRICT_DATA, file=sys.stderr)
        else:
            frame = region_metrics(store, filters, args.level)
    except FilterError as error:
        print(f"Galat: {error}", file=sys.stderr)
        return 2
    synthetic = store.meta().get("source_kind") == "demo"
    if synthetic:
        print("Data sintetis (demo), bukan data peserta sesungguhnya.", file=sys.stderr)
    frame.assign(data_source="synthetic demo" if synthetic else "replica").to_csv(
        sys.stdout, index=False
    )
    return 0


def _cli_region(level: str, province: str | None, regency: str | None) -> str:
    """The command line's region: the regency (district level only), the province, or the
    nation; each code as typed (``32.16`` or ``3216``)."""
    if regency and level != "district":
        raise FilterError("--regency hanya untuk --level district.")
    if level == "district" and not (regency or province):
        raise FilterError("--level district memerlukan --regency KODE atau --province KODE.")
    raw = regency or province or NATION_CODE
    try:
        return raw if raw == NATION_CODE else normalize_code(raw)
    except UnknownRegionError as error:
        raise FilterError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
