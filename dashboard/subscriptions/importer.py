"""A list of subscriptions from CSV or XLSX, for national users: every row checked, all or
nothing (like the agenda's import, whose problem report it shares).

Columns, in this order, with a header row: ``Surel``, ``Kode wilayah``, ``Frekuensi``
(mingguan/bulanan), ``Hari`` (senin … minggu; weekly only), ``Format`` (pdf, html, badan).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from dashboard.subscriptions.storage import (
    FORMATS,
    FREQUENCIES,
    WEEKDAYS,
    Subscription,
    SubscriptionError,
    SubscriptionInput,
    Subscriptions,
    cleaned,
)
from geo.regions import NATION_CODE
from outreach.spreadsheet import ImportRejected, RowProblem
from outreach.storage import Editor

HEADERS = ("Surel", "Kode wilayah", "Frekuensi", "Hari", "Format")
MAX_ROWS = 5_000
WORDS = {
    **{word: key for key, word in FREQUENCIES.items()},
    **{key: key for key in (*FREQUENCIES, *FORMATS)},
    "badan": "body",
}


def read_rows(name: str, content: bytes) -> list[tuple[int, Sequence[object]]]:
    """(line number, cells) of every non-empty row after the header."""
    rows: Sequence[Sequence[object]]
    if name.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise ImportRejected([RowProblem(0, "Berkas bukan XLSX yang dapat dibaca.")]) from error
        rows = list(book.worksheets[0].iter_rows(min_row=2, max_col=5, values_only=True))
        book.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportRejected([RowProblem(0, "Berkas CSV harus UTF-8.")]) from error
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;") if text.strip() else "excel"
        rows = [list(row) for row in csv.reader(io.StringIO(text), dialect)][1:]
    numbered = [
        (number, row)
        for number, row in enumerate(rows, start=2)
        if any(str(c or "").strip() for c in row)
    ]
    if not numbered:
        raise ImportRejected([RowProblem(0, "Berkas tidak berisi langganan.")])
    if len(numbered) > MAX_ROWS:
        raise ImportRejected([RowProblem(0, f"Paling banyak {MAX_ROWS} baris per berkas.")])
    return numbered


def _row(cells: Sequence[object], editor: Editor) -> SubscriptionInput:
    email, region, frequency, day, fmt = (str(c or "").strip() for c in (*cells, *[""] * 5)[:5])
    frequency = WORDS.get(frequency.lower(), frequency.lower() or "weekly")
    weekday = WEEKDAYS.index(day.lower()) if day.lower() in WEEKDAYS else (-1 if day else 0)
    fmt = WORDS.get(fmt.lower(), fmt.lower() or "pdf")
    return cleaned(SubscriptionInput(email, region, frequency, weekday, fmt), editor)


def import_file(
    subscriptions: Subscriptions, editor: Editor, name: str, content: bytes
) -> list[Subscription]:
    """Validate the whole file, then save every row in one transaction."""
    if editor.scope != NATION_CODE:
        raise ImportRejected(
            [RowProblem(0, "Hanya pengguna nasional yang dapat mengimpor daftar.")]
        )
    items, problems = [], []
    for number, cells in read_rows(name, content):
        try:
            items.append(_row(cells, editor))
        except SubscriptionError as error:
            problems.append(RowProblem(number, str(error)))
    if problems:
        raise ImportRejected(problems)
    return subscriptions.subscribe_many(editor, items)
