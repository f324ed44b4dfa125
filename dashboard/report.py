"""Build the presenter's files from the command line.

``python -m dashboard.report --region 32 --from 2020-04-11 --to 2020-09-03 --out jabar.pptx
--pdf`` writes ``jabar.pptx`` (and ``jabar.pdf``). CODE is ``ID``, a 2-digit province or a
4-digit regency code. ``--format html`` writes the single-file offline report instead,
``--format gif`` or ``--format mp4`` the time-lapse map. An ``--out`` that is a folder gets
the file inside it, named like ``--all`` names it (``3216-kabupaten-bekasi.pptx``).

``python -m dashboard.report --all province|regency|both --out DIR`` builds every region's
file into DIR with a progress bar, on all cores, skipping files already built from the current
store version, and writes ``index.csv`` and ``index.html`` (:mod:`dashboard.exports.batch`).
Errors are printed in Bahasa Indonesia and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from geo.regions import NATION_CODE, UnknownRegionError, is_known, normalize_code, region_name

if TYPE_CHECKING:  # imported where used: the command's --help stays fast
    from queries.filters import Filters
    from queries.store import Store


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


FORMATS = {"pptx": ".pptx", "html": ".html", "gif": ".gif", "mp4": ".mp4"}


def output_path(raw: str, code: str, fmt: str) -> Path:
    """Where ``--out`` puts one region's file: into it when it names a folder (that exists or
    ends with ``/``), as ``<code>-<name>.<ext>`` like ``--all`` names them; otherwise the file
    itself, with the format's extension."""
    from dashboard.exports.batch import slug

    if not raw.strip():
        raise ReportError("--out kosong: beri nama berkas (mis. jabar.pptx) atau folder.")
    out = Path(raw)
    if out.is_dir() or raw.endswith("/"):
        return out / f"{code}-{slug(region_name(code))}{FORMATS[fmt]}"
    try:
        return out.with_suffix(FORMATS[fmt])
    except ValueError:
        raise ReportError(f"Nama berkas --out tidak valid: {raw!r}.") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.report",
        description="Buat salindia, laporan HTML luring atau peta selang waktu per wilayah.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--region", help="ID, kode provinsi atau kabupaten/kota")
    which.add_argument(
        "--all", choices=("province", "regency", "both"), help="semua provinsi/kabupaten/kota"
    )
    parser.add_argument("--from", dest="date_from", help="tanggal awal TTTT-BB-HH")
    parser.add_argument("--to", dest="date_to", help="tanggal akhir TTTT-BB-HH")
    parser.add_argument(
        "--out", required=True, help="berkas atau folder tujuan (--region), folder (--all)"
    )
    parser.add_argument("--pdf", action="store_true", help="buat juga PDF di samping .pptx")
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="pptx",
        help="pptx (salindia), html (laporan luring satu berkas), gif atau mp4 (peta selang waktu)",
    )
    parser.add_argument(
        "--scope",
        default=NATION_CODE,
        help="dengan --all: hanya wilayah yang boleh diekspor cakupan akses ini (ID, 32, 3273)",
    )
    parser.add_argument("--jobs", type=int, help="dengan --all: jumlah proses (bawaan: semua inti)")
    return parser


def _filters(store: Store, args: argparse.Namespace, code: str) -> Filters:
    from queries.filters import Filters
    from queries.metrics import data_period

    start, end = parse_date(args.date_from, "awal"), parse_date(args.date_to, "akhir")
    first, last = data_period(store)
    return Filters(date_from=start or first, date_to=end or last, region=code)


def run(args: argparse.Namespace) -> list[Path]:
    """Build the file(s) of one region; returns the paths written."""
    from dashboard.exports.deck import deck_slides
    from dashboard.exports.slides import to_pdf, to_pptx
    from queries.bootstrap import ensure_store
    from queries.store import Store

    code = parse_region(args.region)
    out = output_path(args.out, code, args.format)
    store = Store.open_current(ensure_store())
    filters = _filters(store, args, code)
    if args.format == "html":
        from dashboard.exports.html_report import build_html_report

        out.write_text(build_html_report(store, filters, code), encoding="utf-8")
        return [out]
    if args.format in ("gif", "mp4"):
        from dashboard.exports.timelapse import build_timelapse

        out.write_bytes(build_timelapse(store, filters, code, args.format))
        return [out]
    slides = deck_slides(store, filters, code)
    out.write_bytes(to_pptx(slides))
    written = [out]
    if args.pdf:
        written.append(out.with_suffix(".pdf"))
        written[-1].write_bytes(to_pdf(slides))
    return written


def run_all(args: argparse.Namespace) -> list[Path]:
    """Every region's file into the folder ``--out``; returns the index files."""
    from dashboard.access import Scope
    from dashboard.exports.batch import BatchSpec, plan, run_batch
    from queries.bootstrap import ensure_store
    from queries.store import Store

    scope = Scope(parse_region(args.scope))
    if args.jobs is not None and args.jobs < 1:
        raise ReportError("--jobs harus 1 atau lebih.")
    if not args.out.strip() or Path(args.out).suffix:
        raise ReportError(f"Dengan --all, --out adalah folder, bukan berkas: {args.out!r}")
    store = Store.open_current(ensure_store())
    try:
        filters = _filters(store, args, NATION_CODE)
        spec = BatchSpec(
            args.format,
            args.pdf and args.format == "pptx",
            filters.date_from.isoformat(),
            filters.date_to.isoformat(),
            str(store.path),
        )
    finally:
        store.close()
    jobs = plan(args.all, args.format, scope.may_export_deck)
    if not jobs:
        raise ReportError(f"Tidak ada wilayah dalam cakupan {scope.describe()}.")
    result = run_batch(jobs, spec, Path(args.out), args.jobs)
    print(f"Dibuat {result.built}, sudah terkini {result.skipped} dari {len(jobs)} berkas.")
    if result.failed:
        raise ReportError(
            f"{len(result.failed)} wilayah gagal dibuat (jalankan lagi untuk mencoba ulang):\n"
            + "\n".join(result.failed)
        )
    return [result.index, result.index.with_suffix(".html")]


def main(argv: list[str] | None = None) -> int:
    from queries.filters import FilterError

    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        written = run_all(args) if args.all else run(args)
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
