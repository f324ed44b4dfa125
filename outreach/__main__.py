"""``python -m outreach``: the agenda from the command line.

    upgrade                               apply the application database's migrations
    template --out FILE.xlsx              write the spreadsheet template
    import FILE.xlsx --by EMAIL --scope CODE
                                          validate every row, then save all or nothing
    effects [--region CODE]               the effect of each past event, as CSV
    calibrate --placebos N [--seed S]     false effect rates on N random and N after-dip
                                          placebo events (last line: false_effect_rate …)

The database is ``PRAKERJA_APP_DB_URL`` (default: agenda.sqlite in the data directory).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from geo.regions import NATION_CODE, is_known, normalize_code
from outreach import calibrate, effect, spreadsheet
from outreach.events import EventError
from outreach.storage import Agenda, AgendaUnavailableError, Editor, ScopeError

if TYPE_CHECKING:
    from queries.store import Store


def _scope(raw: str) -> str:
    code = NATION_CODE if raw.strip().upper() == NATION_CODE else normalize_code(raw)
    if not is_known(code):
        raise argparse.ArgumentTypeError(f"Kode wilayah tidak dikenal: {raw}")
    return code


def _actor(raw: str) -> str:
    """``--by``: who the audit trail names; empty or over-long is refused up front."""
    try:
        Editor(raw, NATION_CODE).check_actor()
    except EventError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return raw.strip()


def _import(agenda: Agenda, args: argparse.Namespace) -> int:
    editor = Editor(args.by, args.scope)
    try:
        with args.file.open("rb") as upload:
            saved = spreadsheet.import_file(agenda, editor, upload)
    except OSError as error:
        print(f"Berkas tidak dapat dibuka: {args.file} ({error.strerror}).", file=sys.stderr)
        return 2
    except spreadsheet.ImportRejected as rejected:
        if rejected.per_row:
            for problem in rejected.problems:
                where = f"Baris {problem.row}: " if problem.row else ""
                print(f"{where}{problem.message}", file=sys.stderr)
        print(rejected.summary(), file=sys.stderr)
        return 2
    except (EventError, ScopeError) as error:
        print(f"Tidak ada yang disimpan: {error}", file=sys.stderr)
        return 2
    print(f"{len(saved)} kegiatan disimpan.")
    return 0


def _open_store() -> tuple[Store, bool]:
    """The current store (built first if there is none) and whether it is the demo's."""
    from queries.bootstrap import ensure_store
    from queries.store import Store

    store = Store.open_current(ensure_store())
    return store, store.meta().get("source_kind") == "demo"


EFFECT_COLUMNS = [
    "event_id",
    "regency_code",
    "start_date",
    "measure",
    "primary",
    "window_days",
    "before",
    "after",
    "control_before",
    "control_after",
    "controls",
    "did_points",
    "did_low",
    "did_high",
    "lift",
    "lift_low",
    "lift_high",
    "pre_trend_points",
    "verdict",
    "neighbours_left_out",
    "neighbour_source",
    "sentence",
]


def _effects(agenda: Agenda, args: argparse.Namespace) -> int:
    from dashboard.outreach_view import sentence
    from dashboard.settings import suppression_threshold

    store, demo = _open_store()
    if demo:  # the demo agenda, as the dashboard seeds it on first open
        agenda.seed_demo(date.today())
    events = agenda.events(args.region)
    found = effect.effects_from_store(store, events, agenda.events(), date.today())
    writer = csv.writer(sys.stdout)
    writer.writerow(EFFECT_COLUMNS)
    by_id = {event.id: event for event in events}
    threshold = suppression_threshold()
    for row in found:
        event = by_id[row.event_id]
        points = [_number(value * 100, 1) for value in row.points]
        pre = _number((1 + row.control_change) * row.pre_lift * 100, 1)
        writer.writerow(
            [
                row.event_id,
                event.regency_code,
                event.start_date,
                row.measure,
                row.primary,
                row.window_days,
                f"{row.before:.1f}",
                row.after,
                f"{row.control_before:.1f}",
                row.control_after,
                row.controls,
                *points,
                _number(row.lift, 3),
                _number(row.lift_low, 3),
                _number(row.lift_high, 3),
                pre,
                row.verdict,
                row.neighbours_left_out,
                row.neighbour_source,
                sentence(row, threshold),
            ]
        )
    return 0


def _number(value: float, decimals: int) -> str:
    """A CSV number; empty where there is no estimate."""
    return "" if math.isnan(value) else f"{value:.{decimals}f}"


def _calibrate(agenda: Agenda, args: argparse.Namespace) -> int:
    from queries import metrics
    from queries.settings import data_dir

    store, demo = _open_store()
    if demo:
        agenda.seed_demo(date.today())
    period = metrics.data_period(store)
    matrices = {name: effect.daily_counts(store, period, name) for name in effect.MEASURES}
    result = calibrate.calibrate(
        {name: m for name, m in matrices.items() if m is not None},
        agenda.events(),
        args.placebos,
        args.seed,
    )
    calibrate.save(result, data_dir())
    print(calibrate.table(result))
    print(result.last_line)
    return 0


def _whole(raw: str, least: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = least - 1
    if value < least:
        words = "bilangan bulat positif" if least > 0 else "bilangan bulat 0 atau lebih"
        raise argparse.ArgumentTypeError(f"Harus {words}: {raw}")
    return value


def _positive(raw: str) -> int:
    return _whole(raw, 1)


def _seed(raw: str) -> int:
    return _whole(raw, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m outreach",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="apply the migrations")
    template = commands.add_parser("template", help="write the XLSX template")
    template.add_argument("--out", type=Path, required=True)
    upload = commands.add_parser("import", help="import an XLSX file (all or nothing)")
    upload.add_argument("file", type=Path)
    upload.add_argument(
        "--by", type=_actor, required=True, help="who imports (kept in the audit trail)"
    )
    upload.add_argument("--scope", type=_scope, required=True, help="ID, province or regency")
    effects = commands.add_parser("effects", help="effects of past events, as CSV")
    effects.add_argument("--region", type=_scope, default=NATION_CODE)
    checks = commands.add_parser("calibrate", help="false effect rate on placebo events")
    checks.add_argument("--placebos", type=_positive, required=True, help="per placement")
    checks.add_argument("--seed", type=_seed, default=1)
    args = parser.parse_args(argv)
    if args.command == "template":
        args.out.write_bytes(spreadsheet.template())
        print(f"Templat ditulis ke {args.out}.")
        return 0
    try:
        agenda = Agenda().migrate()
        if args.command == "import":
            return _import(agenda, args)
        if args.command == "effects":
            return _effects(agenda, args)
        if args.command == "calibrate":
            return _calibrate(agenda, args)
        print("Skema basis data agenda sudah terbaru.")
        return 0
    except AgendaUnavailableError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
