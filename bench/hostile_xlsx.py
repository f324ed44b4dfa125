"""Hostile agenda spreadsheets, and what importing each costs (issue #22, item 3).

``python -m bench.hostile_xlsx [--keep DIR]`` builds each file (nothing is committed: a huge
cell compressed to 310 kB and to 1 MB, a million rows, broken sheet XML, an XML entity bomb, a
file over the size limit, and a valid file as the baseline), runs
``python -m outreach import FILE`` on each in a fresh process and prints the wall time, the
CPU seconds and peak RSS (``os.wait4``) and the one line it printed. Exits 1 if a hostile file
is not refused with one Bahasa line within 3 s of CPU and 300 MB. CPU, not wall time, is what
the limit is checked on: on this shared 2-core machine the wall time of even ``--help`` is
3-7 s under load, while the command costs about 1.1 s of CPU, nearly all of it the interpreter
and its imports (the refusal itself takes 0.01 s in-process). The figures are recorded in
docs/RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from outreach import spreadsheet

SHEET = "xl/worksheets/sheet1.xml"
LIMIT_S, LIMIT_MB = 3.0, 300.0
_HEAD = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Kode kabupaten/kota</t></is></c></row>'
)
_TAIL = b"</sheetData></worksheet>"


def template_parts() -> dict[str, bytes]:
    """The template's parts by name, to rebuild it with some replaced."""
    with zipfile.ZipFile(io.BytesIO(spreadsheet.template())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_xlsx(path: Path, replaced: dict[str, bytes | Iterable[bytes]]) -> Path:
    """The template with the ``replaced`` parts streamed in (chunk by chunk, so that a part of
    a gigabyte costs no memory), deflated at level 9 like a crafted file would be."""
    parts: dict[str, bytes | Iterable[bytes]] = {**template_parts(), **replaced}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            chunks = [content] if isinstance(content, bytes) else content
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
    return path


def huge_cell(chars: int) -> Iterator[bytes]:
    """A sheet whose row 2 holds one note of ``chars`` characters."""
    yield _HEAD + b'<row r="2"><c r="G2" t="inlineStr"><is><t>'
    block = b"x" * (1 << 20)
    for _ in range(chars >> 20):
        yield block
    yield b"x" * (chars % (1 << 20)) + b"</t></is></c></row>" + _TAIL


def many_rows(count: int, columns: int = 1) -> Iterator[bytes]:
    """A sheet of ``count`` filled data rows (a regency code in each of ``columns`` cells)."""
    yield _HEAD
    for start in range(2, count + 2, 10_000):
        yield b"".join(
            b'<row r="%d">' % row
            + b"".join(
                b'<c r="%s%d"><v>3201</v></c>' % (b"ABCDEFG"[i : i + 1], row)
                for i in range(columns)
            )
            + b"</row>"
            for row in range(start, min(start + 10_000, count + 2))
        )
    yield _TAIL


def entity_bomb(levels: int = 10) -> bytes:
    """The classic billion laughs: ten levels of ten references, 10⁹ "lol"s if expanded."""
    entities = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (level, b"".join(b"&lol%d;" % (level - 1) for _ in range(10)))
        for level in range(1, levels)
    ]
    doctype = b"<!DOCTYPE worksheet [" + b"".join(entities) + b"]>"
    cell = b'<row r="2"><c r="G2" t="inlineStr"><is><t>&lol%d;</t></is></c></row>' % (levels - 1)
    return b'<?xml version="1.0"?>' + doctype + _HEAD + cell + _TAIL


def broken_xml() -> bytes:
    """A sheet cut off inside a row, as a truncated or hand-edited file has it."""
    return _HEAD + b'<row r="2"><c r="A2" t="inlineStr"><is><t>32.01</t></is'


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    hostile: bool = True


CASES = (
    Case("huge cell, 310 kB file", lambda p: write_xlsx(p, {SHEET: huge_cell(320 << 20)})),
    Case("huge cell, 1 MB file", lambda p: write_xlsx(p, {SHEET: huge_cell(1040 << 20)})),
    Case("a million rows", lambda p: write_xlsx(p, {SHEET: many_rows(1_000_000)})),
    Case(
        "150,000 rows within the size limits", lambda p: write_xlsx(p, {SHEET: many_rows(150_000)})
    ),
    Case("broken sheet XML", lambda p: write_xlsx(p, {SHEET: broken_xml()})),
    Case("XML entity bomb", lambda p: write_xlsx(p, {SHEET: entity_bomb()})),
    Case("5 MB of anything", lambda p: (p.write_bytes(os.urandom(5 << 20)), p)[1]),
    Case(
        "valid template (baseline)", lambda p: (p.write_bytes(spreadsheet.template()), p)[1], False
    ),
)


@dataclass(frozen=True)
class Outcome:
    case: str
    file_kb: float
    exit_code: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    said: str

    def within_limits(self, hostile: bool) -> bool:
        lines = self.said.splitlines()
        refused = self.exit_code == 2 and len(lines) == 1 and "Traceback" not in self.said
        within = self.cpu_seconds <= LIMIT_S and self.peak_mb <= LIMIT_MB
        return not hostile or (refused and within)


_TIMER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    code, wall = os.waitstatus_to_exitcode(status), time.perf_counter() - started
    print(code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, file=out)
"""
"""Runs the command and writes its exit code, wall and CPU seconds and peak RSS (kB). A small
process of its own: Linux counts the memory a process had when it called ``exec`` in its peak
RSS, so a child started straight from a large parent (a test session) would report the
parent's size."""


def run_import(path: Path, database: Path) -> tuple[int, float, float, float, str]:
    """Exit code, wall and CPU seconds, peak RSS (MB; the command's own, from ``wait4``) and
    output of one import command."""
    env = {**os.environ, "PRAKERJA_APP_DB_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "outreach", "import", str(path)]
    command += ["--by", "bench@example.go.id", "--scope", "ID"]
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures"
        result = subprocess.run(
            [sys.executable, "-c", _TIMER, str(figures), *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=True,
        )
        code, seconds, cpu, peak_kb = figures.read_text().split()
    said = result.stdout.decode(errors="replace").strip()
    return int(code), float(seconds), float(cpu), int(peak_kb) / 1024, said


def measure(case: Case, folder: Path) -> Outcome:
    path = case.build(folder / f"{re.sub(r'[^a-z0-9]+', '-', case.name.lower())}.xlsx")
    code, seconds, cpu, peak, said = run_import(path, folder / "agenda.sqlite")
    return Outcome(case.name, path.stat().st_size / 1024, code, seconds, cpu, peak, said)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_xlsx", description=__doc__)
    parser.add_argument("--keep", type=Path, help="build the files here and keep them")
    args = parser.parse_args(argv)
    failed = False
    with tempfile.TemporaryDirectory(prefix="hostile-xlsx-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print("| file | size | exit | wall s | CPU s | peak RSS MB | says |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for case in CASES:
            outcome = measure(case, folder)
            failed |= not outcome.within_limits(case.hostile)
            said = outcome.said.replace("\n", " / ")
            print(
                f"| {case.name} | {outcome.file_kb:,.0f} kB | {outcome.exit_code} "
                f"| {outcome.seconds:.2f} | {outcome.cpu_seconds:.2f} | {outcome.peak_mb:.0f} "
                f"| {said} |",
                flush=True,
            )
    print(f"load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
