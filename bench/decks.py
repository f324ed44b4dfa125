"""Deck benchmark (issue #13): ``python -m bench.decks [--level province|both] [--format F]``.

Times ``dashboard.report --all`` the way an operator runs it, on the store in
``$PRAKERJA_DATA_DIR`` (build a full-scale one first, e.g. ``PRAKERJA_DEMO_SCALE=1.0``), into a
fresh folder, then a second, resumed run. Records the load average before and after (the
machine may be shared), the peak memory of the workers, the files' sizes, and writes the
figures into the "Presenter files" section of ``docs/PERFORMANCE.md``. Targets on 2 cores at
scale 1.0: 38 province decks ≤ 2 min, all 552 decks ≤ 10 min.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from dashboard.exports.batch import BatchSpec, plan, run_batch
from queries.bootstrap import ensure_store
from queries.metrics import data_period
from queries.store import Store

TARGET_S = {("province", "pptx"): 120.0, ("both", "pptx"): 600.0}
START, END = "<!-- bench.decks:start -->", "<!-- bench.decks:end -->"


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def measure(level: str, fmt: str, out: Path, workers: int, sample: int) -> dict[str, str]:
    """One run into ``out`` and one resumed run; the figures as table cells. ``sample`` > 0
    builds only every n-th region and projects the whole level from its CPU seconds."""
    store = Store.open_current(ensure_store())
    first, last = data_period(store)
    spec = BatchSpec(fmt, False, first.isoformat(), last.isoformat(), str(store.path))
    store.close()
    everything = plan(level, fmt)
    jobs = everything[:: max(1, len(everything) // sample)] if sample else everything
    before = _load()
    built = run_batch(jobs, spec, out, workers)
    after = _load()
    resumed = run_batch(jobs, spec, out, workers, progress=False)
    sizes = sorted(p.stat().st_size for p in out.rglob(f"*.{fmt}"))
    target = TARGET_S.get((level, fmt))
    cpu_per_file = built.cpu_seconds / max(1, built.built)
    share = len(everything) / max(1, built.built)  # a sample projects the whole level
    projected = built.total_cpu_seconds * share / workers
    verdicts = "–"
    if target is not None:
        wall, cpu = (("yes" if v <= target else "NO") for v in (built.seconds, projected))
        verdicts = f"≤ {target:.0f} s: wall {wall}, projected {cpu}"
    return {
        "run": f"{len(jobs)} of {len(everything)} {fmt.upper()} ({level})",
        "wall seconds (shared machine)": f"{built.seconds:.0f} s",
        "CPU s per file": f"{cpu_per_file:.2f} s",
        "CPU s whole run (workers from start + parent)": f"{built.total_cpu_seconds:.0f} s",
        "whole level on idle cores (run CPU ÷ workers)": f"{projected:.0f} s",
        "target": verdicts,
        "resumed": f"{resumed.seconds:.1f} s ({resumed.skipped} skipped)",
        "largest file": f"{sizes[-1] / 1e6:.2f} MB" if sizes else "–",
        "peak worker RSS": f"{built.peak_mb:.0f} MB",
        "load before / after (1, 5, 15 min)": f"{before} → {after}",
    }


def store_described() -> str:
    """What the decks were built from, read from the store's own ``meta`` (not from
    ``PRAKERJA_DEMO_SCALE``: a store synced from a PostgreSQL replica at scale 1 was once
    written down as "demo scale 0.05", the setting's default)."""
    store = Store.open_current(ensure_store())
    try:
        meta = store.meta()
    finally:
        store.close()
    if meta.get("source_kind") == "demo":
        return f"a store of the synthetic replica at scale {meta.get('population_scale', '?')}"
    return f"a store of the replica {meta.get('replica_url', '?')}"


def write_section(
    path: Path,
    rows: list[dict[str, str]],
    workers: int,
    title: str = "Presenter files (`python -m bench.decks`)",
    markers: tuple[str, str] = (START, END),
) -> None:
    """Replace (or append) a benchmark's section of PERFORMANCE.md."""
    start, end = markers
    header = list(rows[0])
    lines = [
        start,
        f"## {title}",
        "",
        f"Measured on {date.today().isoformat()} ({platform.machine()}, "
        f"{platform.python_version()}, {os.cpu_count()} cores, {workers} workers) on "
        f"{store_described()}. The machine was shared with other jobs: the load "
        "average is printed with each run, and times on an idle machine are lower.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row[h] for h in header) + " |" for row in rows),
        end,
    ]
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + "\n".join(lines) + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decks", description=__doc__)
    parser.add_argument("--level", action="append", choices=("province", "regency", "both"))
    parser.add_argument("--format", default="pptx", choices=("pptx", "html", "gif", "mp4"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=0, help="build only about N regions")
    parser.add_argument("--report", type=Path, default=Path("docs/PERFORMANCE.md"))
    args = parser.parse_args(argv)
    rows = []
    for level in args.level or ["province", "both"]:
        with tempfile.TemporaryDirectory(prefix="bench-decks-") as tmp:
            started = time.perf_counter()
            rows.append(measure(level, args.format, Path(tmp), args.jobs, args.sample))
            print(rows[-1], f"({time.perf_counter() - started:.0f} s)", flush=True)
    write_section(args.report, rows, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
