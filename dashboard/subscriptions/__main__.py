"""``python -m dashboard.subscriptions``: report subscriptions by e-mail, for operators.

    run [--once] [--now] [--every 15m] [--jobs N]
                      send what is due (``--now``: every active subscription, as if due);
                      without --once, again every interval
    add --email ADDRESS --region CODE [--every weekly|monthly] [--day senin]
        [--format pdf|html|body] [--by WHO]
    import FILE.csv|FILE.xlsx --by WHO      a national list, every row checked, all or nothing
    list                                    every subscription with its last delivery
    stop ID [--by WHO]                      stop one subscription
    one-click --listen PORT|unix:PATH       answer mail clients' one-click unsubscribe POSTs
                                            (RFC 8058; HAProxy routes them here when served)

The database is ``PRAKERJA_APP_DB_URL`` (the agenda's); the SMTP server ``PRAKERJA_SMTP_URL``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from dashboard import formatting
from dashboard.subscriptions import delivery, importer, one_click
from dashboard.subscriptions.storage import (
    FORMATS,
    FREQUENCIES,
    WEEKDAYS,
    SubscriptionError,
    SubscriptionInput,
    Subscriptions,
)
from geo.regions import NATION_CODE
from outreach.spreadsheet import ImportRejected
from outreach.storage import Editor
from queries.bootstrap import default_store_dir
from queries.cli import run_command
from queries.refresh_service import parse_duration

OPERATOR = "operator (baris perintah)"


def _run(subscriptions: Subscriptions, args: argparse.Namespace) -> int:
    stop = threading.Event()
    while True:
        try:
            report = delivery.run_once(
                subscriptions, default_store_dir(), force=args.now, workers=args.jobs
            )
        except delivery.DeliveryDelayed as delayed:
            print(delayed, file=sys.stderr)
            if args.once:
                return 1
        else:
            print(report.summary())
            for failure in report.failed:
                print(f"Gagal: {failure}", file=sys.stderr)
            if args.once:
                return 1 if report.failed else 0
        stop.wait(args.every)


def _add(subscriptions: Subscriptions, args: argparse.Namespace) -> int:
    weekday = WEEKDAYS.index(args.day) if args.every == "weekly" else None
    data = SubscriptionInput(args.email, args.region, args.every, weekday, args.format)
    saved = subscriptions.subscribe(Editor(args.by, NATION_CODE), data)
    print(f"Langganan {saved.id}: {saved.email} · {saved.region_code} · {saved.describe()}.")
    return 0


def _import(subscriptions: Subscriptions, args: argparse.Namespace) -> int:
    editor = Editor(args.by, NATION_CODE)
    try:
        saved = importer.import_file(subscriptions, editor, args.file.name, args.file.read_bytes())
    except ImportRejected as rejected:
        for problem in rejected.problems:
            print(
                f"{f'Baris {problem.row}: ' if problem.row else ''}{problem.message}",
                file=sys.stderr,
            )
        print(f"Tidak ada yang disimpan ({rejected}).", file=sys.stderr)
        return 2
    print(f"{len(saved)} langganan disimpan.")
    return 0


def _list(subscriptions: Subscriptions, _args: argparse.Namespace) -> int:
    last = subscriptions.last_deliveries()
    print("id\tsurel\twilayah\tjadwal\taktif\tpengiriman terakhir")
    for s in subscriptions.subscriptions():
        delivered = last.get(s.id)
        status = (
            f"{delivered.period} {delivered.status} ({delivered.attempts}x"
            f"{', ' + delivered.error if delivered.error else ''})"
            f" {formatting.timestamp(delivered.sent_at or delivered.claimed_at)}"
            if delivered
            else "belum ada"
        )
        active = "ya" if s.active else "tidak"
        print(f"{s.id}\t{s.email}\t{s.region_code}\t{s.describe()}\t{active}\t{status}")
    return 0


def _stop(subscriptions: Subscriptions, args: argparse.Namespace) -> int:
    stopped = subscriptions.set_active(args.by, args.id, False)
    if stopped is None:
        print(f"Tidak ada langganan {args.id}.", file=sys.stderr)
        return 2
    print(f"Langganan {stopped.id} ({stopped.email}, {stopped.region_code}) dihentikan.")
    return 0


def _one_click(subscriptions: Subscriptions, args: argparse.Namespace) -> int:
    return one_click.serve(subscriptions, args.listen)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m dashboard.subscriptions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="send what is due")
    run.add_argument("--once", action="store_true", help="one round, then exit")
    run.add_argument("--now", action="store_true", help="every active subscription, as if due")
    run.add_argument("--every", type=parse_duration, default="15m", help="interval without --once")
    run.add_argument("--jobs", type=int, default=None, help="processes building files")
    add = commands.add_parser("add", help="subscribe an address to a region")
    add.add_argument("--email", required=True)
    add.add_argument("--region", required=True, help="ID, a province or a regency code")
    add.add_argument("--every", choices=tuple(FREQUENCIES), default="weekly")
    add.add_argument("--day", choices=WEEKDAYS, default="senin", help="weekly: the day")
    add.add_argument("--format", choices=tuple(FORMATS), default="pdf")
    add.add_argument("--by", default=OPERATOR, help="who (kept in the audit trail)")
    upload = commands.add_parser("import", help="import a CSV or XLSX list (all or nothing)")
    upload.add_argument("file", type=Path)
    upload.add_argument("--by", required=True, help="who imports (kept in the audit trail)")
    commands.add_parser("list", help="every subscription and its last delivery")
    stop = commands.add_parser("stop", help="stop a subscription")
    stop.add_argument("id", type=int)
    stop.add_argument("--by", default=OPERATOR)
    click = commands.add_parser("one-click", help="serve one-click unsubscribe (RFC 8058)")
    click.add_argument("--listen", default=str(one_click.PORT), help="PORT, HOST:PORT or unix:PATH")
    return top


ACTIONS = {
    "run": _run,
    "add": _add,
    "import": _import,
    "list": _list,
    "stop": _stop,
    "one-click": _one_click,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def go() -> int:
        with delivery.opened() as subscriptions:
            try:
                return ACTIONS[args.command](subscriptions, args)
            except SubscriptionError as error:
                print(f"Tidak disimpan: {error}", file=sys.stderr)
                return 2

    return run_command(go)


if __name__ == "__main__":
    sys.exit(main())
