"""Command line: ``python -m geo fetch [--from DIR]`` and ``python -m geo export``.

Building the boundary cache is an explicit step (not done by the app on first request)
because it downloads about 18 MB and takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from geo.boundaries import BoundaryError, cache_dir, fetch, load_boundaries


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


def _geojson(level: str) -> str:
    frame = load_boundaries(level, "national")  # type: ignore[arg-type]
    return json.dumps(frame[["code", "name", "province_code", "geometry"]].__geo_interface__)


def _export(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    text = _geojson(args.level)
    args.out.write_text(text, encoding="utf-8")
    elapsed = time.perf_counter() - started
    print(f"{args.out}: {len(text.encode()) / 1e6:.2f} MB, {elapsed:.1f} detik.")


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
    export_cmd = commands.add_parser("export", help="tulis batas tampilan nasional ke GeoJSON")
    export_cmd.add_argument("--level", choices=["province", "regency"], required=True)
    export_cmd.add_argument("--out", type=Path, required=True)
    export_cmd.set_defaults(run=_export)
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
