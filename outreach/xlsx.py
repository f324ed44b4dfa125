"""Reading the rows of one XLSX sheet within fixed bounds, so that no upload can exhaust the
service.

openpyxl, even in read-only mode, fills a sheet's gaps up to its last claimed row (a million
empty tuples for one cell at row 1,000,000), loads every shared string whole however long, and
with ``data_only`` cannot tell a formula without a cached value from an empty cell. The agenda
needs a few columns of one sheet, so this reads exactly that, streaming, and checks every limit
*while* reading: the file's size and each part's uncompressed size before inflating anything
(Python's zipfile stops a member at its declared size and fails its CRC), then the number of
filled rows (reading stops at the first row past the limit) and each cell's length. XML goes
through defusedxml with no DTD allowed: no entity expansion, no external reference.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

MAX_FILE_BYTES = 2 * 1024 * 1024
"""An agenda of 2,000 events with full notes is about 0.5 MB as XLSX."""
MAX_PART_BYTES = 8 * 1024 * 1024
"""Uncompressed size of any one part (sheet, shared strings, styles, …)."""
MAX_TOTAL_BYTES = 24 * 1024 * 1024
MAX_PARTS = 200
MAX_CELL_CHARS = 2_000
"""Longer than any field may be (a note holds 500 characters); refused as the cell is read."""
MAX_STRINGS = 100_000
"""Shared strings: the agenda's cells, its header and choice lists are a few tens of thousands."""

_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class UnreadableFile(ValueError):
    """A file refused as a whole (``row`` 0) or at one row; the message is Bahasa Indonesia."""

    def __init__(self, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


class _FormulaWithoutValue:
    """A formula cell saved without its result (some tools write formulas but never compute
    them); kept apart from an empty cell so the import can say what to do."""

    def __repr__(self) -> str:
        return "NO_CACHED_VALUE"


NO_CACHED_VALUE = _FormulaWithoutValue()


@dataclass(frozen=True)
class _TooLong:
    """A shared string over :data:`MAX_CELL_CHARS`: kept as its length, refused if a read
    column uses it."""

    length: int


@dataclass(frozen=True)
class SheetRows:
    """The filled rows (row number, one value per column) and the workbook's date epoch."""

    rows: list[tuple[int, tuple[object, ...]]]
    epoch: datetime


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _file_size(source: bytes | BinaryIO) -> int:
    if isinstance(source, bytes):
        return len(source)
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    return size


def _open_archive(source: bytes | BinaryIO) -> zipfile.ZipFile:
    """The zip, once its size and its parts' declared sizes are within bounds."""
    if _file_size(source) > MAX_FILE_BYTES:
        raise UnreadableFile(f"Berkas terlalu besar (paling banyak {MAX_FILE_BYTES >> 20} MB).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile("Berkas bukan XLSX yang dapat dibaca.") from error
    parts = archive.infolist()
    if (
        len(parts) > MAX_PARTS
        or any(part.file_size > MAX_PART_BYTES for part in parts)
        or sum(part.file_size for part in parts) > MAX_TOTAL_BYTES
    ):
        archive.close()
        raise UnreadableFile(
            f"Isi berkas terlalu besar setelah dibuka (paling banyak {MAX_PART_BYTES >> 20} MB "
            "per bagian): gunakan templat agenda."
        )
    return archive


def _elements(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, Element]]:
    """(event, element) of one part, start and end, parsed safely; any fault is one message."""
    try:
        with archive.open(name) as part:
            yield from iterparse(part, events=("start", "end"), forbid_dtd=True)
    except KeyError as error:
        raise UnreadableFile(f"Berkas XLSX tidak lengkap (bagian {name} tidak ada).") from error
    except DefusedXmlException as error:
        raise UnreadableFile(
            "Berkas XLSX berisi deklarasi DTD atau entitas XML, yang tidak diizinkan."
        ) from error
    except ParseError as error:
        raise UnreadableFile(f"Berkas XLSX rusak: XML {name} tidak terbaca.") from error
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
        raise UnreadableFile("Berkas XLSX rusak: isinya tidak dapat dibuka.") from error


def _small_part(archive: zipfile.ZipFile, name: str) -> list[Element]:
    """Every element of a small part (workbook, relationships), in document order."""
    return [element for event, element in _elements(archive, name) if event == "end"]


def _relationships(archive: zipfile.ZipFile, base: str) -> dict[str, tuple[str, str]]:
    """Id → (type, part name) of ``base``'s relationships."""
    folder, name = posixpath.split(base)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for element in _small_part(archive, rels):
        target = element.get("Target", "")
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            found[element.get("Id", "")] = (element.get("Type", ""), posixpath.normpath(path))
    return found


def _workbook(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str | None, datetime]:
    """The part of the sheet named ``sheet`` (else the first), the shared strings part, the
    date epoch."""
    workbook = "xl/workbook.xml"
    elements = _small_part(archive, workbook)
    sheets = {e.get("name"): e.get(_RELATIONSHIP_ID) for e in elements if _local(e.tag) == "sheet"}
    if not sheets:
        raise UnreadableFile("Berkas tidak berisi lembar kerja.")
    chosen = sheets.get(sheet) or next(iter(sheets.values()))
    relations = _relationships(archive, workbook)
    if chosen not in relations:
        raise UnreadableFile("Berkas XLSX rusak: lembar kerja tidak ditemukan.")
    strings = next((p for kind, p in relations.values() if kind.endswith("/sharedStrings")), None)
    flags = [e.get("date1904", "") for e in elements if _local(e.tag) == "workbookPr"]
    epoch = MAC_EPOCH if flags and flags[0].lower() in ("1", "true") else WINDOWS_EPOCH
    return relations[chosen][1], strings, epoch


def _text(element: Element) -> str:
    """A string item's text: its ``t`` and rich-text runs' ``t``, without phonetic hints."""
    return "".join(
        child.text or ""
        if _local(child.tag) == "t"
        else "".join(t.text or "" for t in child if _local(t.tag) == "t")
        for child in element
        if _local(child.tag) in ("t", "r")
    )


def _shared_strings(archive: zipfile.ZipFile, name: str | None) -> list[str | _TooLong]:
    strings: list[str | _TooLong] = []
    if name is None:
        return strings
    parents: list[Element] = []
    for event, element in _elements(archive, name):
        if event == "start":
            parents.append(element)
            continue
        parents.pop()
        if _local(element.tag) == "si":
            text = _text(element)
            strings.append(text if len(text) <= MAX_CELL_CHARS else _TooLong(len(text)))
            if len(strings) > MAX_STRINGS:
                raise UnreadableFile("Berkas berisi terlalu banyak teks untuk sebuah agenda.")
            if parents:
                parents[-1].clear()
    return strings


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _value(cell: Element, strings: list[str | _TooLong]) -> object:
    """A cell's value: text, number, NO_CACHED_VALUE or None."""
    children = {_local(child.tag): child for child in cell}
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _text(children["is"]) if "is" in children else None
    raw = children["v"].text if "v" in children else None
    if raw is None:
        return NO_CACHED_VALUE if "f" in children else None
    if kind == "s":
        return strings[int(raw)]
    return _number(raw) if kind == "n" else raw


def _column(cell: Element, previous: int) -> int:
    reference = cell.get("r")
    if not reference:
        return previous + 1
    return column_index_from_string(coordinate_from_string(reference)[0])


class _RowReader:
    """Turns a sheet's elements into filled rows, clearing each element once read."""

    def __init__(self, strings: list[str | _TooLong], columns: int, first_row: int) -> None:
        self.strings, self.columns, self.first_row = strings, columns, first_row
        self.number, self.column = 0, 0
        self.values: list[object] = []

    def start_row(self, row: Element) -> None:
        self.number = int(row.get("r") or self.number + 1)
        self.column, self.values = 0, [None] * self.columns

    def cell(self, cell: Element) -> None:
        self.column = _column(cell, self.column)
        if self.number < self.first_row or self.column > self.columns:
            return
        value = _value(cell, self.strings)
        length = value.length if isinstance(value, _TooLong) else len(str(value or ""))
        if length > MAX_CELL_CHARS:
            raise UnreadableFile(
                f"Sel {cell.get('r') or self.column} berisi lebih dari "
                f"{MAX_CELL_CHARS:,} karakter.".replace(",", "."),
                self.number,
            )
        self.values[self.column - 1] = value

    def filled(self) -> tuple[int, tuple[object, ...]] | None:
        if self.number < self.first_row or all(v in (None, "") for v in self.values):
            return None
        return self.number, tuple(self.values)


def read_rows(
    source: bytes | BinaryIO, sheet: str, columns: int, first_row: int, max_rows: int
) -> SheetRows:
    """The filled rows of ``sheet`` (else the first sheet) from ``first_row`` on, the first
    ``columns`` columns only; :class:`UnreadableFile` past any bound, including more than
    ``max_rows`` filled rows (reading stops there)."""
    with _open_archive(source) as archive:
        sheet_part, strings_part, epoch = _workbook(archive, sheet)
        try:
            strings = _shared_strings(archive, strings_part)
            rows = _sheet_rows(archive, sheet_part, strings, columns, first_row, max_rows)
        except UnreadableFile:
            raise
        except (IndexError, ValueError, KeyError) as error:
            raise UnreadableFile("Berkas XLSX rusak: isi selnya tidak terbaca.") from error
    return SheetRows(rows, epoch)


def _sheet_rows(
    archive: zipfile.ZipFile,
    part: str,
    strings: list[str | _TooLong],
    columns: int,
    first_row: int,
    max_rows: int,
) -> list[tuple[int, tuple[object, ...]]]:
    """Stream the sheet: each cell is read when it closes, then dropped with every element
    outside a cell, so memory stays flat whatever the sheet holds."""
    reader, rows = _RowReader(strings, columns, first_row), []
    parents: list[Element] = []
    for event, element in _elements(archive, part):
        tag = _local(element.tag)
        if event == "start":
            parents.append(element)
            if tag == "row":
                reader.start_row(element)
            continue
        parents.pop()
        if tag == "c":
            reader.cell(element)
        elif tag == "row" and (filled := reader.filled()):
            rows.append(filled)
            if len(rows) > max_rows:
                limit = f"{max_rows:,}".replace(",", ".")
                raise UnreadableFile(f"Paling banyak {limit} baris per berkas.")
        if parents and not any(_local(parent.tag) == "c" for parent in parents):
            parents[-1].clear()
    return rows
