"""Build the presenter's deck from the command line.

``python -m dashboard.report --region 32 --from 2020-04-11 --to 2020-09-03 --out jabar.pptx
--pdf`` writes ``jabar.pptx`` (and ``jabar.pdf``). CODE is ``ID``, a 2-digit province or a
4-digit regency code. Errors are printed in Bahasa Indonesia and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from geo.regions import NATION_CODE, UnknownRegionError, is_known, normalize_code


class ReportError(ValueError):
    """A bad argument; the message is shown as is."""


def parse_region(raw: str) -> str:
    if raw.strip().upper() == NATION_CODE:
        return NATION_CODE
    try:
        code = normalize_code(raw)
    except UnknownRegionError as error:
        raise ReportError(
            f"{error}. Gunakan ID, kode provinsi (32) atau kabupaten (3273)."
        ) from None
    if not is_known(code):
        raise ReportError(f"Kode wilayah tidak dikenal: {code}. Lihat daftar di geo/data.")
    return code


def parse_date(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ReportError(f"Tanggal {name} tidak valid: {raw!r} (format TTTT-BB-HH).") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.report", description="Buat salindia presentasi satu wilayah."
    )
    parser.add_argument("--region", required=True, help="ID, kode provinsi atau kabupaten/kota")
    parser.add_argument("--from", dest="date_from", help="tanggal awal TTTT-BB-HH")
    parser.add_argument("--to", dest="date_to", help="tanggal akhir TTTT-BB-HH")
    parser.add_argument("--out", required=True, type=Path, help="berkas .pptx tujuan")
    parser.add_argument("--pdf", action="store_true", help="buat juga PDF di samping .pptx")
    return parser


def run(args: argparse.Namespace) -> list[Path]:
    """Build the file(s); returns the paths written."""
    from dashboard.exports.deck import build_deck, build_deck_pdf
    from queries.bootstrap import ensure_store
    from queries.filters import Filters
    from queries.metrics import data_period
    from queries.store import Store

    code = parse_region(args.region)
    start, end = parse_date(args.date_from, "awal"), parse_date(args.date_to, "akhir")
    store = Store.open_current(ensure_store())
    first, last = data_period(store)
    filters = Filters(date_from=start or first, date_to=end or last, region=code)
    out = args.out if args.out.suffix.lower() == ".pptx" else args.out.with_suffix(".pptx")
    out.write_bytes(build_deck(store, filters, code))
    written = [out]
    if args.pdf:
        written.append(out.with_suffix(".pdf"))
        written[-1].write_bytes(build_deck_pdf(store, filters, code))
    return written


def main(argv: list[str] | None = None) -> int:
    from queries.filters import FilterError

    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        written = run(args)
    except (ReportError, FilterError) as error:
        print(f"Galat: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Galat: berkas tidak dapat ditulis: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    for path in written:
        print(f"Ditulis: {path}")
    print(f"Waktu pembuatan: {seconds:.1f} detik".replace(".", ","))
    return 0


if __name__ == "__main__":
    from queries.cli import run_command

    sys.exit(run_command(main))
