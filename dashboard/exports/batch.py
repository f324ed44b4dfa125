"""Every region's file in one run (``python -m dashboard.report --all ...``), issue #13.

The work is a list of :class:`Job` (one region, one file). Worker processes each open the
store once and write their files directly to disk (atomically), so the parent only collects
small result rows and memory stays bounded by the number of workers; workers are replaced
after :data:`TASKS_PER_WORKER` files each (a new pool per round), so a slow leak cannot grow
across 552 decks.

The run is resumable: ``index.csv`` in the output folder records, per file, the store version
and the period it was built from, and is rewritten after every finished file. A later run
skips files that exist and were built from the same store version and period.
"""

from __future__ import annotations

import csv
import html
import multiprocessing
import os
import re
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from geo.regions import provinces, regencies

if TYPE_CHECKING:  # imported where used: workers import what their format needs
    from tqdm import tqdm

    from queries.filters import Filters
    from queries.store import Store
    from queries.suppression import ProtectedFigures

LEVELS = {"province": ("province",), "regency": ("regency",), "both": ("province", "regency")}
FOLDERS = {"province": "provinsi", "regency": "kabupaten-kota"}
INDEX_CSV, INDEX_HTML = "index.csv", "index.html"
TASKS_PER_WORKER = 60
INDEX_COLUMNS = (
    "kode",
    "wilayah",
    "tingkat",
    "berkas",
    "periode",
    "data_per",
    "versi_data",
    "dibuat",
    "detik",
)


@dataclass(frozen=True)
class Job:
    """One region's file, relative to the output folder."""

    code: str
    name: str
    level: str
    file: str


@dataclass(frozen=True)
class BatchSpec:
    """What every job shares: the format, the period and the store version they come from."""

    fmt: str
    pdf: bool
    date_from: str
    date_to: str
    store_path: str

    @property
    def version(self) -> str:
        return Path(self.store_path).name

    @property
    def period(self) -> str:
        return f"{self.date_from}..{self.date_to}"


@dataclass(frozen=True)
class BatchResult:
    """What a run did: files built and skipped, seconds, where the index is, the largest
    resident memory a builder process reached (MB), the regions that failed, the CPU
    seconds the files took, and the CPU seconds of the whole run (the builder processes from
    their start, store opening included, plus this process): what the run needs on an idle
    machine, spread over the cores."""

    built: int
    skipped: int
    seconds: float
    index: Path
    peak_mb: float = 0.0
    failed: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    total_cpu_seconds: float = 0.0


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plan(which: str, fmt: str, allowed: Callable[[str], bool] = lambda _code: True) -> list[Job]:
    """The jobs for ``which`` (province, regency or both), in code order, limited to the
    regions ``allowed`` says the caller may export (an access scope)."""
    tables = {"province": provinces(), "regency": regencies()}
    jobs = []
    for level in LEVELS[which]:
        for code, name in tables[level][["code", "name"]].itertuples(index=False):
            if allowed(code):
                file = f"{FOLDERS[level]}/{code}-{slug(name)}.{fmt}"
                jobs.append(Job(str(code), str(name), level, file))
    return jobs


# --- index --------------------------------------------------------------------------------------


def read_index(out: Path) -> dict[str, dict[str, str]]:
    """file → index row of an earlier run (empty when there is none)."""
    path = out / INDEX_CSV
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["berkas"]: row for row in csv.DictReader(handle)}


def is_current(row: dict[str, str] | None, spec: BatchSpec, out: Path) -> bool:
    """Built from this store version and period, and the file (and its PDF) still there."""
    if row is None or row.get("versi_data") != spec.version or row.get("periode") != spec.period:
        return False
    path = out / row["berkas"]
    return path.exists() and (not spec.pdf or path.with_suffix(".pdf").exists())


def write_index(out: Path, rows: Iterable[dict[str, str]]) -> None:
    """CSV (atomically replaced, so an interrupted run leaves a readable index)."""
    staging = out / (INDEX_CSV + ".tmp")
    ordered = sorted(rows, key=lambda r: (len(r["kode"]), r["kode"], r["berkas"]))
    with staging.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(ordered)
    os.replace(staging, out / INDEX_CSV)


def write_index_html(out: Path, rows: Iterable[dict[str, str]], title: str) -> Path:
    """A small page listing every file with a link, for the USB stick or a shared folder."""
    body = "\n".join(
        '<tr><td>{kode}</td><td>{wilayah}</td><td><a href="{href}">{berkas}</a></td>'
        "<td>{periode}</td><td>{data_per}</td></tr>".format(
            **{k: html.escape(str(v)) for k, v in row.items()}, href=html.escape(row["berkas"])
        )
        for row in sorted(rows, key=lambda r: (len(r["kode"]), r["kode"], r["berkas"]))
    )
    page = f"""<!doctype html><html lang="id"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:Arial,'Liberation Sans',sans-serif;margin:2em}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:4px 10px;
text-align:left}}</style></head><body><h1>{html.escape(title)}</h1>
<table><thead><tr><th>Kode</th><th>Wilayah</th><th>Berkas</th><th>Periode</th>
<th>Waktu data</th></tr></thead><tbody>
{body}
</tbody></table></body></html>
"""
    path = out / INDEX_HTML
    path.write_text(page, encoding="utf-8")
    return path


# --- workers ------------------------------------------------------------------------------------

_STORE: Store | None = None
_FIGURES: ProtectedFigures | None = None
_WORKER = ("", 0.0)  # (a name unique to this worker process, its CPU seconds at start)


def _open_store(store_path: str) -> None:
    """Worker initialiser: one read-only store connection per process, and one set of
    protected figures, so the groups every deck needs (the nation's provinces, a province's
    regencies) are read from the store once per worker, not once per deck."""
    global _STORE, _FIGURES, _WORKER
    in_parent = multiprocessing.parent_process() is None  # one worker: the run's own process
    _WORKER = (f"{os.getpid()}-{time.time_ns()}", time.process_time() if in_parent else 0.0)
    from dashboard.settings import suppression_threshold
    from queries.store import Store
    from queries.suppression import ProtectedFigures

    _STORE = Store(Path(store_path))
    _FIGURES = ProtectedFigures.direct(_STORE, suppression_threshold())


def build_file(job: Job, spec: BatchSpec, out: str) -> dict[str, str | float]:
    """Write one region's file (and PDF) atomically; returns its index row."""
    from dashboard.exports.context import as_of_text
    from queries.filters import Filters

    started, cpu = time.perf_counter(), time.process_time()
    filters = Filters(
        date_from=datetime.fromisoformat(spec.date_from).date(),
        date_to=datetime.fromisoformat(spec.date_to).date(),
        region=job.code,
    )
    target = Path(out) / job.file
    target.parent.mkdir(parents=True, exist_ok=True)
    store = _STORE
    assert store is not None  # _open_store ran in this process
    for path, content in _contents(store, filters, job.code, spec, target):
        staging = path.with_name(path.name + ".part")
        staging.write_bytes(content())
        os.replace(staging, path)
    return {
        "kode": job.code,
        "wilayah": job.name,
        "tingkat": job.level,
        "berkas": job.file,
        "periode": spec.period,
        "data_per": as_of_text(store.meta()),
        "versi_data": spec.version,
        "dibuat": datetime.now().astimezone().isoformat(timespec="seconds"),
        "detik": f"{time.perf_counter() - started:.2f}",
        # Not in the CSV: for the run's summary and the benchmark.
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": time.process_time() - cpu,
        "worker": _WORKER[0],
        "worker_cpu_s": time.process_time() - _WORKER[1],
    }


def _contents(
    store: Store, filters: Filters, code: str, spec: BatchSpec, target: Path
) -> list[tuple[Path, Callable[[], bytes]]]:
    """(path, builder) pairs for one job; the PDF reuses the PPTX's slide content."""
    if spec.fmt == "html":
        from dashboard.exports.html_report import build_html_report

        return [(target, lambda: build_html_report(store, filters, code, _FIGURES).encode("utf-8"))]
    if spec.fmt in ("gif", "mp4"):
        from dashboard.exports.timelapse import build_timelapse

        return [(target, lambda: build_timelapse(store, filters, code, spec.fmt))]
    from dashboard.exports.deck import deck_slides
    from dashboard.exports.slides import to_pdf, to_pptx

    slides = deck_slides(store, filters, code, shared=_FIGURES)
    if spec.fmt == "pdf":  # the PDF alone (the report e-mails' attachment)
        return [(target, lambda: to_pdf(slides))]
    pairs = [(target, lambda: to_pptx(slides))]
    if spec.pdf:
        pairs.append((target.with_suffix(".pdf"), lambda: to_pdf(slides)))
    return pairs


# --- the run ------------------------------------------------------------------------------------


def run_batch(
    jobs: list[Job],
    spec: BatchSpec,
    out: Path,
    workers: int | None = None,
    progress: bool = True,
) -> BatchResult:
    """Build every job that is not current, ``workers`` at a time; keeps the index current.
    A region that fails is reported and left out of the index; the others still get built."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rows = read_index(out)
    todo = [job for job in jobs if not is_current(rows.get(job.file), spec, out)]
    bar = _progress_bar(len(jobs), len(jobs) - len(todo), progress)
    peak, cpu, failed = 0.0, 0.0, []
    workers_cpu: dict[str, float] = {}
    own_cpu = time.process_time()
    try:
        for job, row in _results(todo, spec, out, workers or os.cpu_count() or 1):
            if isinstance(row, BaseException):
                failed.append(f"{job.code} {job.name}: {row}")
                rows.pop(job.file, None)
            else:
                peak = max(peak, row.pop("peak_mb"))
                cpu += row.pop("cpu_s")
                worker = row.pop("worker")
                workers_cpu[worker] = max(workers_cpu.get(worker, 0.0), row.pop("worker_cpu_s"))
                rows[row["berkas"]] = row
            write_index(out, rows.values())
            bar.set_postfix_str(job.name[:24])
            bar.update(1)
    finally:
        bar.close()
        write_index(out, rows.values())
        write_index_html(out, rows.values(), "Pantau Prakerja: berkas per wilayah")
    seconds = time.perf_counter() - started
    built = len(todo) - len(failed)
    skipped = len(jobs) - len(todo)
    in_process = any(name.startswith(f"{os.getpid()}-") for name in workers_cpu)
    total_cpu = sum(workers_cpu.values()) + (0 if in_process else time.process_time() - own_cpu)
    return BatchResult(built, skipped, seconds, out / INDEX_CSV, peak, failed, cpu, total_cpu)


def _results(
    jobs: list[Job], spec: BatchSpec, out: Path, workers: int
) -> Iterator[tuple[Job, dict[str, Any] | BaseException]]:
    """(job, index row or the error) as files finish; in this process when one worker is
    enough."""
    if not jobs:
        return
    if workers == 1 or len(jobs) == 1:
        _open_store(spec.store_path)
        try:
            for job in jobs:
                try:
                    yield job, build_file(job, spec, str(out))
                except Exception as error:  # one region's failure must not stop the rest
                    yield job, error
        finally:
            if _STORE is not None:
                _STORE.close()
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dashboard.exports.deck", "dashboard.exports.html_report"])
    size = min(workers, len(jobs))
    # Fresh workers every round keep memory bounded. Not max_tasks_per_child: on Python 3.11
    # the pool hung here once both workers had retired (after 2 × 60 decks).
    for start in range(0, len(jobs), TASKS_PER_WORKER * size):
        round_jobs = jobs[start : start + TASKS_PER_WORKER * size]
        with ProcessPoolExecutor(
            max_workers=size,
            mp_context=context,
            initializer=_open_store,
            initargs=(spec.store_path,),
        ) as pool:
            futures = {pool.submit(build_file, job, spec, str(out)): job for job in round_jobs}
            try:
                for future in as_completed(futures):
                    failure = future.exception()
                    yield futures[future], failure if failure is not None else future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


def _progress_bar(total: int, done: int, enabled: bool) -> tqdm[NoReturn]:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="berkas", desc="Membuat", disable=not enabled)
