"""The XLSX template and the all-or-nothing import, in the library and on the command line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from outreach import spreadsheet
from outreach.__main__ import main
from outreach.storage import Agenda, Editor

WEST_JAVA = Editor("disnaker@jabarprov.go.id", "32")


def filled(rows: list[list[object]]) -> bytes:
    """The template with its example row replaced by ``rows``."""
    book = load_workbook(io.BytesIO(spreadsheet.template()))
    sheet = book[spreadsheet.SHEET]
    sheet.delete_rows(2)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD: list[list[object]] = [
    ["32.01", date(2020, 7, 6), date(2020, 7, 8), "Sosialisasi", "Umum", "Disnakertrans", ""],
    ["3204", "13-07-2020", None, "layanan_luring", "Perempuan", "Disnakertrans", "Aula"],
]


@pytest.fixture
def agenda(tmp_path: Path) -> Iterator[Agenda]:
    agenda = Agenda(f"sqlite:///{tmp_path / 'agenda.sqlite'}").migrate()
    yield agenda
    agenda.dispose()


def test_template_has_headers_example_and_drop_downs() -> None:
    book = load_workbook(io.BytesIO(spreadsheet.template()))
    sheet = book[spreadsheet.SHEET]
    assert [cell.value for cell in sheet[1]] == [label for _, label in spreadsheet.COLUMNS]
    assert sheet["A2"].value == "32.01"
    assert len(sheet.data_validations.dataValidation) == 2
    assert [row[0] for row in book["Pilihan"].iter_rows(values_only=True)][:2] == [
        "Sosialisasi",
        "Layanan pendaftaran luring",
    ]


def test_a_valid_file_is_saved_whole(agenda: Agenda) -> None:
    saved = spreadsheet.import_file(agenda, WEST_JAVA, filled(GOOD))
    assert [(e.regency_code, e.start_date, e.end_date, e.kind, e.target_group) for e in saved] == [
        ("3201", date(2020, 7, 6), date(2020, 7, 8), "sosialisasi", "umum"),
        ("3204", date(2020, 7, 13), date(2020, 7, 13), "layanan_luring", "perempuan"),
    ]
    assert [entry.action for entry in agenda.audit()] == ["create", "create"]


def test_every_bad_row_is_listed_and_nothing_is_saved(agenda: Agenda) -> None:
    bad: list[list[object]] = [
        *GOOD,
        ["9999", date(2020, 7, 6), None, "Sosialisasi", "Umum", "Dinas", ""],
        ["3201", date(2019, 1, 1), None, "Sosialisasi", "Umum", "Dinas", ""],
        ["3201", date(2020, 7, 6), None, "Konser", "Umum", "Dinas", ""],
        ["3201", date(2020, 7, 6), None, "Sosialisasi", "Umum", "Dinas", "x" * 501],
        ["3201", "besok", None, "Sosialisasi", "Umum", "Dinas", ""],
        ["3578", date(2020, 7, 6), None, "Sosialisasi", "Umum", "Dinas", ""],
    ]
    with pytest.raises(spreadsheet.ImportRejected) as rejected:
        spreadsheet.import_file(agenda, WEST_JAVA, filled(bad))
    listed = [(p.row, p.message) for p in rejected.value.problems]
    assert listed == [
        (4, "Kabupaten/kota tidak dikenal: '9999'"),
        (5, "Tanggal di luar masa program (20-03-2020 s.d. 31-12-2035)."),
        (6, "Jenis kegiatan tidak dikenal: 'Konser'"),
        (7, "Catatan terlalu panjang (501 karakter, paling banyak 500)."),
        (8, "tanggal mulai tidak terbaca ('besok')"),
        (9, "Kota Surabaya di luar akses Anda"),
    ]
    assert agenda.events() == []


def test_not_a_spreadsheet_is_refused() -> None:
    with pytest.raises(spreadsheet.ImportRejected, match="1 masalah"):
        spreadsheet.read_events(b"<html>not xlsx</html>")


def test_command_line_template_and_import(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert main(["template", "--out", str(tmp_path / "templat.xlsx")]) == 0
    assert load_workbook(tmp_path / "templat.xlsx")[spreadsheet.SHEET]["A1"].value
    good, bad = tmp_path / "baik.xlsx", tmp_path / "salah.xlsx"
    good.write_bytes(filled(GOOD))
    bad.write_bytes(filled([*GOOD, ["3201", date(2020, 7, 6), None, "Konser", "Umum", "D", ""]]))
    assert main(["import", str(bad), "--by", "ops@kemenko.go.id", "--scope", "ID"]) == 2
    assert "Baris 4: Jenis kegiatan tidak dikenal: 'Konser'" in capsys.readouterr().err
    assert main(["import", str(good), "--by", "ops@kemenko.go.id", "--scope", "3201"]) == 2
    assert "di luar akses Anda" in capsys.readouterr().err
    assert main(["import", str(good), "--by", "ops@kemenko.go.id", "--scope", "32"]) == 0
    assert "2 kegiatan disimpan." in capsys.readouterr().out
    agenda = Agenda(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert {event.created_by for event in agenda.events()} == {"ops@kemenko.go.id"}
    agenda.dispose()
