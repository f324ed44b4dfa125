"""The XLSX template and the all-or-nothing import, in the library and on the command line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench import hostile_xlsx
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


# --- hostile and unusual files (issue #22, item 3) -------------------------------------------

SHEET_PART = hostile_xlsx.SHEET


def built(tmp_path: Path, part: bytes | Iterator[bytes], name: str = "berkas.xlsx") -> Path:
    return hostile_xlsx.write_xlsx(tmp_path / name, {SHEET_PART: part})


def refusal(source: bytes | Path) -> spreadsheet.ImportRejected:
    """What reading ``source`` is refused with (it must be refused)."""
    with pytest.raises(spreadsheet.ImportRejected) as rejected:
        if isinstance(source, Path):
            with source.open("rb") as handle:
                spreadsheet.read_events(handle)
        else:
            spreadsheet.read_events(source)
    return rejected.value


@pytest.mark.parametrize(
    ("part", "said"),
    [
        (hostile_xlsx.huge_cell(40 << 20), "Isi berkas terlalu besar setelah dibuka"),
        (hostile_xlsx.many_rows(1_000_000), "Berkas terlalu besar (paling banyak 2 MB)."),
        (hostile_xlsx.many_rows(150_000), "Paling banyak 2.000 baris per berkas."),
        (hostile_xlsx.broken_xml(), "Berkas XLSX rusak: XML xl/worksheets/sheet1.xml tidak"),
        (hostile_xlsx.entity_bomb(), "berisi deklarasi DTD atau entitas XML"),
    ],
    ids=["huge-cell", "million-rows", "rows-within-size", "broken-xml", "entity-bomb"],
)
def test_a_hostile_file_is_refused_whole_in_one_line(tmp_path: Path, part, said: str) -> None:
    rejected = refusal(built(tmp_path, part))
    assert [problem.row for problem in rejected.problems] == [0]
    assert said in rejected.summary()
    assert rejected.summary().startswith("Berkas ditolak: ")
    assert "\n" not in rejected.summary()


def test_a_cell_longer_than_any_field_is_refused_where_it_is(tmp_path: Path) -> None:
    rejected = refusal(built(tmp_path, hostile_xlsx.huge_cell(5_000)))
    assert [(p.row, p.message) for p in rejected.problems] == [
        (2, "Sel G2 berisi lebih dari 2.000 karakter.")
    ]


def test_a_large_file_is_refused_before_it_is_opened() -> None:
    assert refusal(b"PK" + bytes(3 << 20)).problems[0].message == (
        "Berkas terlalu besar (paling banyak 2 MB)."
    )


def test_the_import_command_refuses_a_huge_cell_in_bounded_memory(tmp_path: Path) -> None:
    """The 310 kB file with one 320 MB cell peaked at 1.4 GB: now the command's own baseline
    (about 185-210 MB with its imports) and one line. Time is recorded by the check script."""
    outcome = hostile_xlsx.measure(hostile_xlsx.CASES[0], tmp_path)
    assert outcome.exit_code == 2
    assert outcome.said.startswith("Berkas ditolak: Isi berkas terlalu besar")
    assert len(outcome.said.splitlines()) == 1
    assert outcome.peak_mb <= hostile_xlsx.LIMIT_MB


def test_a_code_written_with_a_dot_is_inside_its_own_scope(agenda: Agenda) -> None:
    bekasi = Editor("disnaker@bekasikab.go.id", "3216")
    row: list[object] = ["32.16", date(2020, 7, 6), None, "Sosialisasi", "Umum", "Dinas", ""]
    saved = spreadsheet.import_file(agenda, bekasi, filled([row]))
    assert [event.regency_code for event in saved] == ["3216"]


def test_date_serials_are_dates_and_a_formula_without_value_is_named(agenda: Agenda) -> None:
    rows: list[list[object]] = [
        [3201, 44018, 44020.0, "Sosialisasi", "Umum", "Dinas", ""],
        ["3201", "=DATE(2020,7,6)", None, "Sosialisasi", "Umum", "Dinas", ""],
        ["3201", None, None, "Sosialisasi", "Umum", "=B2", ""],
    ]
    rejected = refusal(filled(rows))
    assert [(p.row, p.message) for p in rejected.problems] == [
        (3, f"tanggal mulai berisi rumus tanpa nilai tersimpan: {spreadsheet.FORMULA_HINT}"),
        (4, f"Unit penyelenggara berisi rumus tanpa nilai tersimpan: {spreadsheet.FORMULA_HINT}"),
        (4, "tanggal mulai kosong"),
    ]
    saved = spreadsheet.import_file(agenda, WEST_JAVA, filled(rows[:1]))
    assert [(e.regency_code, e.start_date, e.end_date) for e in saved] == [
        ("3201", date(2020, 7, 6), date(2020, 7, 8))
    ]


def test_shared_strings_and_rich_text_as_excel_writes_them(tmp_path: Path) -> None:
    """Excel and LibreOffice keep text in a shared table (openpyxl writes it inline)."""
    strings = ["32.04", "Sosialisasi", "Umum", "Disnakertrans", "Aula "]
    items = "".join(f"<si><t>{text}</t></si>" for text in strings[:4])
    items += (
        '<si><r><t xml:space="preserve">Aula </t></r><r><t>desa</t></r><rPh><t>x</t></rPh></si>'
    )
    shared = (
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>'
    ).encode()
    cells = [("A", "s", 0), ("B", "n", 44025), ("D", "s", 1), ("E", "s", 2), ("F", "s", 3)]
    row = "".join(f'<c r="{col}2" t="{kind}"><v>{value}</v></c>' for col, kind, value in cells)
    sheet = hostile_xlsx._HEAD + f'<row r="2">{row}<c r="G2" t="s"><v>4</v></c></row>'.encode()
    parts = hostile_xlsx.template_parts()
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    path = hostile_xlsx.write_xlsx(
        tmp_path / "excel.xlsx",
        {
            SHEET_PART: sheet + hostile_xlsx._TAIL,
            "xl/sharedStrings.xml": shared,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )
    with path.open("rb") as handle:
        (event,) = spreadsheet.read_events(handle, WEST_JAVA)
    assert (event.regency_code, event.start_date, event.kind, event.note) == (
        "3204",
        date(2020, 7, 13),
        "sosialisasi",
        "Aula desa",
    )


def test_the_command_says_one_line_for_a_broken_file(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    broken = built(tmp_path, hostile_xlsx.broken_xml())
    assert main(["import", str(broken), "--by", "ops@kemenko.go.id", "--scope", "ID"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "Berkas ditolak: Berkas XLSX rusak: XML xl/worksheets/sheet1.xml tidak terbaca. "
        "Tidak ada yang disimpan."
    ]
    missing = str(tmp_path / "tidak-ada.xlsx")
    assert main(["import", missing, "--by", "ops@kemenko.go.id", "--scope", "ID"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"Berkas tidak dapat dibuka: {missing} (No such file or directory)."
    ]


def test_the_command_says_nothing_was_saved_once(tmp_path: Path, monkeypatch, capsys) -> None:
    """Issue #22, item 8: "Tidak ada yang disimpan (2 masalah; tidak ada yang disimpan.)"."""
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    bad = tmp_path / "salah.xlsx"
    bad.write_bytes(filled([["3201", "besok", None, "Konser", "Umum", "D", ""]]))
    assert main(["import", str(bad), "--by", "ops@kemenko.go.id", "--scope", "ID"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "Berkas ditolak: 1 masalah; tidak ada yang disimpan."
    assert err.lower().count("tidak ada yang disimpan") == 1
