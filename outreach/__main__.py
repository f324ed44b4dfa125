"""``python -m outreach``: the agenda from the command line.

    upgrade                               apply the application database's migrations
    template --out FILE.xlsx              write the spreadsheet template
    import FILE.xlsx --by EMAIL --scope CODE
                                          validate every row, then save all or nothing
    effects [--region CODE]               the effect of each past event, as CSV

The database is ``PRAKERJA_APP_DB_URL`` (default: agenda.sqlite in the data directory).
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from pathlib import Path

from geo.regions import NATION_CODE, is_known, normalize_code
from outreach import effect, spreadsheet
from outreach.events import EventError
from outreach.storage import Agenda, AgendaUnavailableError, Editor, ScopeError


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


def _effects(agenda: Agenda, args: argparse.Namespace) -> int:
    from queries.bootstrap import ensure_store
    from queries.store import Store

    store = Store.open_current(ensure_store())
    events = agenda.events(args.region)
    found = effect.effects_from_store(store, events, agenda.events(), date.today())
    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "event_id",
            "regency_code",
            "start_date",
            "measure",
            "before",
            "after",
            "control_before",
            "control_after",
            "controls",
            "lift",
            "lift_low",
            "lift_high",
            "verdict",
        ]
    )
    by_id = {event.id: event for event in events}
    for row in found:
        event = by_id[row.event_id]
        writer.writerow(
            [
                row.event_id,
                event.regency_code,
                event.start_date,
                row.measure,
                row.before,
                row.after,
                row.control_before,
                row.control_after,
                row.controls,
                f"{row.lift:.3f}",
                f"{row.lift_low:.3f}",
                f"{row.lift_high:.3f}",
                row.verdict,
            ]
        )
    return 0


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
        print("Skema basis data agenda sudah terbaru.")
        return 0
    except AgendaUnavailableError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
