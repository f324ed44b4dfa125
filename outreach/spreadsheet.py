"""The agenda spreadsheet: an XLSX template to fill in, and an all-or-nothing import.

Every row is checked (unknown regency, date outside the programme, unknown kind, note too
long, …) and the problems are listed per row in Bahasa Indonesia; nothing is written unless
the whole file is valid. Kinds and target groups may be written as their labels
("Layanan pendaftaran luring") or stored values ("layanan_luring").
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from geo.regions import UnknownRegionError, normalize_code, region_name
from outreach import xlsx
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
MAX_UPLOAD_MB = 10
"""The app's uploader refuses a file above this before it reaches the server's memory
(Streamlit's default is 200 MB). It is above :data:`outreach.xlsx.MAX_FILE_BYTES` on purpose:
a file a little too large gets the import's own Bahasa line; only an absurd one meets
Streamlit's (English) size notice."""
FORMULA_HINT = "buka dan simpan lagi berkasnya di Excel atau LibreOffice, atau tulis nilainya."


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str


class ImportRejected(ValueError):
    """The file was not imported; ``problems`` lists every row's problems."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} masalah; tidak ada yang disimpan.")
        self.problems = problems

    def summary(self) -> str:
        """One line: the problem itself when the whole file is refused for one reason (too
        large, not XLSX, …), else the count (the rows' problems are listed apart)."""
        if len(self.problems) == 1 and not self.problems[0].row:
            return f"Berkas ditolak: {self.problems[0].message} Tidak ada yang disimpan."
        return f"Berkas ditolak: {self}"

    @property
    def per_row(self) -> bool:
        """Whether the problems are rows' (worth a table) rather than the file's one."""
        return any(problem.row for problem in self.problems)


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


def _as_date(raw: object, epoch: datetime) -> date | None:
    """A date from a date cell, an Excel date serial (44018: a date typed into a cell
    formatted as a number) or text in the patterns the template shows."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return from_excel(raw, epoch).date()
        except (OverflowError, ValueError, AttributeError):
            return None
    text = str(raw or "").strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _regency(raw: object) -> str:
    """The canonical code ("32.16" → "3216"), so that the scope check compares like with like;
    a code typed as a number (32.1 for 32.10) keeps its two decimals."""
    text = f"{raw:.2f}" if isinstance(raw, float) else str(raw or "").strip()
    try:
        return normalize_code(text)
    except UnknownRegionError:
        return text


def _date_problem(label: str, raw: object, value: date | None) -> str | None:
    if raw is xlsx.NO_CACHED_VALUE:
        return f"{label} berisi rumus tanpa nilai tersimpan: {FORMULA_HINT}"
    if raw in (None, ""):
        return f"{label} kosong" if label == "tanggal mulai" else None
    return None if value else f"{label} tidak terbaca ({str(raw)[:20]!r})"


def _row_event(values: tuple, epoch: datetime) -> tuple[EventInput | None, list[str]]:
    cells = dict(zip((key for key, _ in COLUMNS), values, strict=False))
    formulas = [
        f"{label} berisi rumus tanpa nilai tersimpan: {FORMULA_HINT}"
        for key, label in COLUMNS
        if key not in ("start_date", "end_date") and cells.get(key) is xlsx.NO_CACHED_VALUE
    ]
    raw_start, raw_end = cells.get("start_date"), cells.get("end_date")
    start, end = _as_date(raw_start, epoch), _as_date(raw_end, epoch)
    problems = [
        problem
        for problem in (
            _date_problem("tanggal mulai", raw_start, start),
            _date_problem("tanggal selesai", raw_end, end),
        )
        if problem
    ]
    if formulas or problems or start is None:
        return None, formulas + problems
    event = EventInput(
        regency_code=_regency(cells.get("regency_code")),
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
    (including rows outside the ``editor``'s scope). The file is read within the bounds of
    :mod:`outreach.xlsx`, so a hostile one is refused early, whole."""
    try:
        sheet = xlsx.read_rows(source, SHEET, len(COLUMNS), FIRST_DATA_ROW, MAX_ROWS)
    except xlsx.UnreadableFile as error:
        raise ImportRejected([RowProblem(error.row, str(error))]) from error
    if not sheet.rows:
        raise ImportRejected([RowProblem(0, "Berkas tidak berisi kegiatan.")])
    events, problems = [], []
    for number, values in sheet.rows:
        event, found = _row_event(values, sheet.epoch)
        if event is not None and editor is not None and not editor.may_edit(event.regency_code):
            found = [f"{region_name(event.regency_code)} di luar akses Anda"]
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
