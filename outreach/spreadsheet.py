"""The agenda spreadsheet: an XLSX template to fill in, and an all-or-nothing import.

Every row is checked (unknown regency, date outside the programme, unknown kind, note too
long, …) and the problems are listed per row in Bahasa Indonesia; nothing is written unless
the whole file is valid. Kinds and target groups may be written as their labels
("Layanan pendaftaran luring") or stored values ("layanan_luring").
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from geo.regions import normalize_code, region_name
from outreach.events import KINDS, TARGET_GROUPS, Event, EventInput, validate
from outreach.storage import Agenda, Editor

COLUMNS = (
    ("regency_code", "Kode kabupaten/kota"),
    ("start_date", "Tanggal mulai"),
    ("end_date", "Tanggal selesai"),
    ("kind", "Jenis kegiatan"),
    ("target_group", "Kelompok sasaran"),
    ("organiser", "Unit penyelenggara"),
    ("note", "Catatan"),
)
SHEET = "Agenda"
MAX_ROWS = 2_000
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str


class ImportRejected(ValueError):
    """The file was not imported; ``problems`` lists every row's problems."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} masalah; tidak ada yang disimpan.")
        self.problems = problems


def template() -> bytes:
    """An empty template with the headers, an example row and drop-down lists."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = SHEET
    sheet.append([label for _, label in COLUMNS])
    sheet.append(
        [
            "32.01",
            date(2020, 7, 6),
            date(2020, 7, 8),
            KINDS["sosialisasi"],
            TARGET_GROUPS["umum"],
            "Disnakertrans Kabupaten Bogor",
            "Contoh baris: hapus sebelum mengunggah.",
        ]
    )
    for letter, width in zip("ABCDEFG", (20, 14, 14, 28, 24, 32, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for letter in "BC":
        for cell in sheet[letter][1:]:
            cell.number_format = "yyyy-mm-dd"
    lists = book.create_sheet("Pilihan")
    for row, label in enumerate(KINDS.values(), start=1):
        lists.cell(row=row, column=1, value=label)
    for row, label in enumerate(TARGET_GROUPS.values(), start=1):
        lists.cell(row=row, column=2, value=label)
    kinds = DataValidation(type="list", formula1=f"=Pilihan!$A$1:$A${len(KINDS)}")
    groups = DataValidation(type="list", formula1=f"=Pilihan!$B$1:$B${len(TARGET_GROUPS)}")
    kinds.add(f"D2:D{MAX_ROWS}")
    groups.add(f"E2:E{MAX_ROWS}")
    sheet.add_data_validation(kinds)
    sheet.add_data_validation(groups)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _lookup(raw: object, choices: dict[str, str]) -> str:
    """A stored value from a label or a value, case-insensitively; unknown text as is."""
    text = str(raw or "").strip()
    for value, label in choices.items():
        if text.lower() in (value, label.lower()):
            return value
    return text


def _as_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(str(raw or "").strip(), pattern).date()
        except ValueError:
            continue
    return None


def _row_event(values: tuple) -> tuple[EventInput | None, list[str]]:
    cells = dict(zip((key for key, _ in COLUMNS), values, strict=False))
    start, end = _as_date(cells.get("start_date")), _as_date(cells.get("end_date"))
    problems = []
    if start is None:
        problems.append(f"tanggal mulai tidak terbaca ({str(cells.get('start_date'))[:20]!r})")
    if cells.get("end_date") not in (None, "") and end is None:
        problems.append(f"tanggal selesai tidak terbaca ({str(cells.get('end_date'))[:20]!r})")
    if problems or start is None:
        return None, problems
    event = EventInput(
        regency_code=str(cells.get("regency_code") or "").strip(),
        start_date=start,
        end_date=end or start,
        kind=_lookup(cells.get("kind"), KINDS),
        target_group=_lookup(cells.get("target_group"), TARGET_GROUPS),
        organiser=str(cells.get("organiser") or ""),
        note=str(cells.get("note") or ""),
    )
    found = validate(event)
    return (None, list(found.values())) if found else (event, [])


def read_events(source: bytes | BinaryIO, editor: Editor | None = None) -> list[EventInput]:
    """Every row of the file as an event, or :class:`ImportRejected` with all problems
    (including rows outside the ``editor``'s scope)."""
    try:
        book = load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            read_only=True,
            data_only=True,
        )
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportRejected([RowProblem(0, "Berkas bukan XLSX yang dapat dibaca.")]) from error
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows = [
        (number, values)
        for number, values in enumerate(
            sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(COLUMNS), values_only=True),
            start=FIRST_DATA_ROW,
        )
        if any(value not in (None, "") for value in values)
    ]
    book.close()
    if len(rows) > MAX_ROWS:
        raise ImportRejected([RowProblem(0, f"Paling banyak {MAX_ROWS} baris per berkas.")])
    if not rows:
        raise ImportRejected([RowProblem(0, "Berkas tidak berisi kegiatan.")])
    events, problems = [], []
    for number, values in rows:
        event, found = _row_event(values)
        if event is not None and editor is not None and not editor.may_edit(event.regency_code):
            found = [f"{region_name(normalize_code(event.regency_code))} di luar akses Anda"]
            event = None
        problems += [RowProblem(number, message) for message in found]
        if event is not None:
            events.append(event)
    if problems:
        raise ImportRejected(problems)
    return events


def import_file(agenda: Agenda, editor: Editor, source: bytes | BinaryIO) -> list[Event]:
    """Validate the whole file, then save every event in one transaction."""
    return agenda.create_many(editor, read_events(source, editor))
