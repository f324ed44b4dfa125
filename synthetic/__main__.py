"""``python -m synthetic --scale S --url URL``: write the synthetic replica (see
``synthetic.generator``); ``--append-days N`` appends N more days of activity instead.

The query layer builds the embedded demo replica by running this command (``queries.demo``),
never by importing the generator."""

from __future__ import annotations

import argparse
import sys
import time

from queries.cli import run_command, terminal
from synthetic.generator import append_days, build


def _lines(step: str, fraction: float) -> None:
    print(f"{fraction:.4f}\t{step}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.02, help="1.0 = 15.9 M registrants")
    parser.add_argument("--url", required=True, help="sqlite:///file.db or postgresql://…")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--progress-lines",
        action="store_true",
        help="progress as 'fraction<TAB>step' lines on stdout (for queries.demo), not a bar",
    )
    parser.add_argument(
        "--append-days",
        type=int,
        default=0,
        help="append N days of activity to an existing replica instead",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.append_days:
        print(f"Ditambahkan: {append_days(args.url, args.append_days)}")
    else:
        progress = _lines if args.progress_lines else terminal("Membangun replika sintetis")
        build(args.url, args.scale, args.seed, progress)
    print(f"Selesai dalam {time.perf_counter() - started:.1f} detik.")
    return 0


if __name__ == "__main__":
    sys.exit(run_command(lambda: main()))
