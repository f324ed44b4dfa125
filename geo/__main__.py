"""Command line: ``python -m geo fetch [--from DIR]``, ``python -m geo export`` and
``python -m geo check``.

Building the boundary cache is an explicit step (not done by the app on first request)
because it downloads about 30 MB and takes a minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import geopandas as gpd

from geo.boundaries import (
    BoundaryError,
    cache_dir,
    cache_keys,
    district_shapes,
    fetch,
    load_boundaries,
)
from geo.coverage import overlap_share, overlaps
from geo.regions import UnknownRegionError, districts, normalize_code


def _fetch(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    started = time.perf_counter()
    with tqdm(total=1, unit="langkah", desc="Batas wilayah") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        target = fetch(from_dir=args.from_dir, progress=progress)
    print(f"Cache dibangun di {target} dalam {time.perf_counter() - started:.1f} detik.")
    for level in ("province", "regency"):
        size = len(_geojson(level).encode())
        print(f"GeoJSON nasional {level}: {size / 1e6:.2f} MB")


def _geojson(level: str, regency: str | None = None) -> str:
    if level == "district":
        frame: gpd.GeoDataFrame = district_shapes(regency_code=regency)
        keep = ["code", "name", "regency_code", "province_code", "has_polygon", "geometry"]
    else:
        frame = load_boundaries(level, "national")  # type: ignore[arg-type]
        keep = ["code", "name", "province_code", "geometry"]
    return json.dumps(frame[keep].__geo_interface__)


def _regency_option(args: argparse.Namespace) -> str | None:
    """The ``--regency`` code, checked: only with ``--level district``, and a regency that
    has kecamatan in the reference."""
    if args.regency is None:
        return None
    if args.level != "district":
        raise BoundaryError("--regency hanya berlaku untuk --level district.")
    try:
        code = normalize_code(args.regency)
    except UnknownRegionError as error:
        raise BoundaryError(str(error)) from error
    if len(code) != 4 or code not in set(districts()["regency_code"]):
        raise BoundaryError(f"Kode kabupaten/kota tidak dikenal: {args.regency}.")
    return code


def _export(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    text = _geojson(args.level, _regency_option(args))
    args.out.write_text(text, encoding="utf-8")  # an OSError is main's one line
    elapsed = time.perf_counter() - started
    print(f"{args.out}: {len(text.encode()) / 1e6:.2f} MB, {elapsed:.1f} detik.")


def _check(_args: argparse.Namespace) -> None:
    """Print each cached layer's overlap (docs/ARCHITECTURE.md quotes these figures)."""
    for level, detail in cache_keys():
        frame = load_boundaries(level, detail)
        pairs = overlaps(frame)
        print(
            f"{level} {detail}: {len(frame)} wilayah, tumpang tindih "
            f"{100 * overlap_share(frame):.5f}% luas, {len(pairs)} pasang, "
            f"{int((pairs['share'] > 0.05).sum())} pasang > 5% wilayah yang lebih kecil"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="unduh/verifikasi dan bangun cache batas")
    fetch_cmd.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        help="folder berisi salinan repositori wilayah_boundaries (tanpa unduhan)",
    )
    fetch_cmd.set_defaults(run=_fetch)
    export_cmd = commands.add_parser("export", help="tulis batas wilayah ke GeoJSON")
    export_cmd.add_argument("--level", choices=["province", "regency", "district"], required=True)
    export_cmd.add_argument(
        "--regency", help="kode kabupaten/kota (hanya --level district), mis. 3216 atau 32.16"
    )
    export_cmd.add_argument("--out", type=Path, required=True)
    export_cmd.set_defaults(run=_export)
    check_cmd = commands.add_parser("check", help="ukur tumpang tindih batas di cache")
    check_cmd.set_defaults(run=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; boundary problems and unwritable files print a message in Bahasa
    Indonesia, exit code 1. (``geo`` sits below ``queries``, so it ends its commands itself
    rather than through ``queries.cli``.)"""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except BoundaryError as error:
        print(f"Galat: {error}", file=sys.stderr)
        print(f"(cache: {cache_dir()})", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Galat: berkas tidak dapat ditulis atau dibaca: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Dihentikan.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
