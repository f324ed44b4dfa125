"""Exports for presenters (issue #5): real files read back with their own libraries."""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_SCALE
from export_fixtures import PERIOD, THRESHOLD
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image, ImageChops

from bench import decks as bench_decks
from dashboard import charts, formatting, priorities
from dashboard.exports import deck, files, slide_charts, static_map
from dashboard.exports.context import context_from_store, describe_filters
from dashboard.exports.log import log_export, read_log
from dashboard.exports.slides import PAGE_H, Picture, fit, to_pdf
from geo.regions import regencies
from queries import metrics
from queries.filters import Filters
from queries.store import Store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def province_deck(export_store: Store) -> bytes:
    return deck.build_deck(export_store, Filters(**PERIOD), "32", compare=("32", "33"))


def _texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def _small_cell(store: Store) -> tuple[str, str, str, int]:
    """(regency, dimension, label, value) of a breakdown cell below the threshold."""
    filters = Filters(**PERIOD)
    for code in regencies()["code"]:
        for dimension in ("disability", "channel", "partner"):
            metric = deck.BREAKDOWN_METRIC.get(dimension, "registrants")
            frame = metrics.breakdown(store, filters.with_region(code), dimension)
            small = frame[(frame[metric] > 1) & (frame[metric] < THRESHOLD)]
            if not small.empty and len(frame) > 1:
                return code, dimension, str(small["label"].iloc[0]), int(small[metric].iloc[0])
    pytest.fail("no small breakdown cell in the test store")


# --- deck -------------------------------------------------------------------------------------


def test_deck_slides_titles_and_kpis(export_store: Store, province_deck: bytes) -> None:
    from pptx import Presentation

    presentation = Presentation(io.BytesIO(province_deck))
    titles = [slide.shapes.title.text for slide in presentation.slides]
    assert titles == [
        "Pantau Prakerja: Jawa Barat",
        "Angka utama — Jawa Barat",
        "Peta: pendaftar per 1.000 penduduk — Jawa Barat",
        "Tren mingguan — Jawa Barat",
        "Corong peserta — Jawa Barat",
        "Rincian peserta (1/2) — Jawa Barat",
        "Rincian peserta (2/2) — Jawa Barat",
        "Perbandingan provinsi",
        "Prioritas sosialisasi — Jawa Barat",
        "Dampak sosialisasi — Jawa Barat",
        "Catatan data",
    ]
    assert presentation.slide_width / presentation.slide_height == pytest.approx(16 / 9, 0.01)
    totals = metrics.totals(export_store, Filters(**PERIOD, region="32")).iloc[0]
    kpis = _texts(presentation.slides[1])
    for key in ("registrants", "recipients", "completed", "paid"):
        assert f"{formatting.number(totals[key])} orang" in kpis
        assert formatting.compact(totals[key]) in kpis
    assert formatting.rupiah(totals["paid_idr"]) in kpis
    assert "." in formatting.number(totals["registrants"])  # Indonesian thousands separator
    assert all("DATA SINTETIS" in _texts(slide) for slide in presentation.slides)


def test_deck_pdf_has_same_pages_and_text(export_store: Store) -> None:
    from pypdf import PdfReader

    pdf = deck.build_deck_pdf(export_store, Filters(**PERIOD), "32", compare=("32", "33"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 11
    text = "\n".join(page.extract_text() for page in reader.pages)
    totals = metrics.totals(export_store, Filters(**PERIOD, region="32")).iloc[0]
    assert "Angka utama" in text and "Catatan data" in text
    assert f"{formatting.number(totals['registrants'])} orang" in text
    assert "DATA SINTETIS" in text


def _idat(png: bytes) -> bytes:
    """A PNG's compressed rows (its IDAT chunks, joined)."""
    position, rows = 8, b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        if kind == b"IDAT":
            rows += png[position + 8 : position + 8 + length]
        position += 12 + length
    return rows


def test_deck_pdf_embeds_each_picture_as_it_is_in_its_box(export_store: Store) -> None:
    """Every slide picture goes into the PDF as its own PNG data, byte for byte (never decoded
    and compressed again: that was half of a PDF deck's CPU), fills its box, and a PDF reader
    decodes the very pixels the slide drew."""
    from pypdf import PdfReader

    slides = deck.deck_slides(export_store, Filters(**PERIOD, region="3201"), "3201")
    pdf = to_pdf(slides)
    reader = PdfReader(io.BytesIO(pdf))
    decoded = [
        file.image.convert("RGB")
        for page in reader.pages
        for file in page.images
        if file.image is not None
    ]
    checked = 0
    for page, slide in zip(reader.pages, slides, strict=True):
        content = page.get_contents()
        drawn = re.findall(
            rb"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm /Pic\w+ Do",
            content.get_data() if content is not None else b"",
        )
        boxes = [[float(v) for v in box] for box in drawn]
        for picture in (item for item in slide.items if isinstance(item, Picture)):
            assert _idat(picture.png) in pdf  # the PNG's compressed rows, as they are
            with Image.open(io.BytesIO(picture.png)) as opened:
                assert opened.mode == "RGB"  # no alpha channel that PDF would need apart
                original = opened.copy()
            assert any(
                d.size == original.size and ImageChops.difference(original, d).getbbox() is None
                for d in decoded
            )
            x, y, w, h = fit(picture)
            expected = [w * 72, h * 72, x * 72, (PAGE_H - y - h) * 72]
            assert any(box == pytest.approx(expected, abs=0.01) for box in boxes)
            checked += 1
    assert checked >= 8  # the maps, the trend, the funnel, the breakdowns


def test_regency_deck_never_shows_a_suppressed_cell(export_store: Store) -> None:
    from pptx import Presentation

    code, dimension, label, value = _small_cell(export_store)
    data = deck.build_deck(export_store, Filters(**PERIOD), code)
    slides = list(Presentation(io.BytesIO(data)).slides)
    notes = "\n".join(slide.notes_slide.notes_text_frame.text for slide in slides)
    title = deck.BREAKDOWN_TITLES[dimension]
    line = next(x for x in notes.splitlines() if x.startswith(f"{title} ("))
    assert f"{label} <{THRESHOLD}" in line
    assert f"{label} {value}," not in line and not line.endswith(f"{label} {value}")
    # The chart drawn for that slide carries the same hidden cell as text, never as a number.
    scope = deck.DeckScope(
        export_store,
        Filters(**PERIOD, region=code),
        context_from_store(export_store, Filters(**PERIOD, region=code), "x"),
        "regency",
        THRESHOLD,
    )
    frame, metric = deck.breakdown_frame(scope, dimension)
    svg = files.chart_svg(charts.breakdown_chart(frame, metric, "t", THRESHOLD))
    assert f"&lt;{THRESHOLD}" in svg
    # The slide's picture draws no bar for the hidden cell, and a bar for every shown one.
    png = slide_charts.breakdown_png(frame, metric, "t", f"<{THRESHOLD}", (6.0, 2.7))
    assert [_has_bar(png, row, len(frame)) for row in range(len(frame))] == list(
        frame[metric].notna() & (frame[metric].fillna(0) > 0)
    )


def _has_bar(png: bytes, row: int, rows: int) -> bool:
    """Whether the chart's ``row``-th band (under the heading) holds bar-blue pixels."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    top = slide_charts.DPI // 10 + round(slide_charts.TITLE_PT * slide_charts.DPI / 72 * 1.6)
    band = (image.height - top - slide_charts.DPI // 10) / rows
    middle = round(top + band * (row + 0.5))
    line = image.crop((0, middle, image.width, middle + 1)).getcolors(1 << 16)
    assert line is not None  # fewer colours than the limit
    return any(colour == (0x2C, 0x7F, 0xB8) for _n, colour in line)


def test_xlsx_numbers_stay_numbers_and_small_cells_are_hidden(export_store: Store) -> None:
    from openpyxl import load_workbook

    code, dimension, label, _value = _small_cell(export_store)
    filters = Filters(**PERIOD, region=code)
    context = context_from_store(export_store, filters, "Rincian")
    frame = metrics.breakdown(export_store, filters, dimension)
    book = load_workbook(io.BytesIO(files.table_xlsx(frame, context, THRESHOLD)))
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Rincian"
    assert any(row[0] and "DATA SINTETIS" in str(row[0]) for row in rows[:8])
    header_index = next(i for i, row in enumerate(rows) if row[:2] == ("Nilai", "Kategori"))
    header = rows[header_index]
    metric = deck.BREAKDOWN_METRIC.get(dimension, "registrants")
    column = header.index(charts.METRIC_LABELS[metric])
    body = rows[header_index + 1 :]
    cell = next(row[column] for row in body if row[1] == label)
    assert cell == f"<{THRESHOLD}"
    assert all(isinstance(row[column], int) or row[column] == f"<{THRESHOLD}" for row in body)
    nation = Filters(**PERIOD)
    national = metrics.region_metrics(export_store, nation, "province")
    sheet = load_workbook(
        io.BytesIO(files.table_xlsx(national, context_from_store(export_store, nation, "Provinsi")))
    ).active
    assert isinstance(sheet, Worksheet)
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "11"]
    assert isinstance(values[0][4], int)  # Pendaftar for Aceh is a number cell


def test_csv_has_context_and_indonesian_headers(export_store: Store) -> None:
    filters = Filters(**PERIOD)
    series = metrics.weekly_series(export_store, filters)
    text = files.table_csv(series, context_from_store(export_store, filters, "Tren")).decode(
        "utf-8-sig"
    )
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns[:3]) == ["Awal minggu", "Pendaftar", "Penerima"]
    assert int(frame["Pendaftar"].sum()) == int(series["registrants"].sum())
    assert "# DATA SINTETIS" in text


# --- images -----------------------------------------------------------------------------------


def test_chart_png_is_twice_the_size_and_svg_is_xml(export_store: Store) -> None:
    filters = Filters(**PERIOD)
    context = context_from_store(export_store, filters, "Tren mingguan")
    chart = charts.weekly_chart(metrics.weekly_series(export_store, filters), ["registrants"])
    one = Image.open(io.BytesIO(files.chart_png(chart, 1, context))).size
    two = Image.open(io.BytesIO(files.chart_png(chart, 2, context))).size
    assert two == (one[0] * 2, one[1] * 2)
    svg = files.chart_svg(chart, context)
    ET.fromstring(svg)
    assert "DATA SINTETIS" in svg and "11 April 2020" in svg


def _map(export_store: Store, name: str) -> bytes:
    filters = Filters(**PERIOD)
    context = context_from_store(export_store, filters, "Pendaftar per 1.000 penduduk")
    values = metrics.region_metrics(export_store, filters, "province")
    png = static_map.map_png(values, "province", "registrants_per_1000", context)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(png)
    ET.fromstring(static_map.map_svg(values, "province", "registrants", context))
    return png


def test_static_map_with_boundaries(export_store: Store, boundary_cache: Path) -> None:
    png = _map(export_store, "test-map-boundaries.png")
    assert Image.open(io.BytesIO(png)).size == (1920, 1080)


def test_static_map_falls_back_to_points(export_store: Store, empty_cache: Path) -> None:
    png = _map(export_store, "test-map-fallback.png")
    assert Image.open(io.BytesIO(png)).size == (1920, 1080)


# --- pure pieces ------------------------------------------------------------------------------


def test_outreach_priorities_rank_by_gap() -> None:
    regions = pd.DataFrame(
        {
            "code": ["3201", "3202", "3203"],
            "name": ["A", "B", "C"],
            "registrants_per_1000": [2.0, 1.0, 3.0],
            "recipient_rate": [0.10, 0.20, float("nan")],
        }
    )
    reference = pd.Series({"registrants_per_1000": 2.0, "recipient_rate": 0.20})
    ranked = priorities.outreach_priorities(regions, reference)
    assert ranked["code"].tolist() == ["3201", "3202", "3203"]  # ties by name
    assert ranked["gap_score"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert ranked["reason"].tolist() == [
        "Penerima per pendaftar 50% di bawah provinsi",
        "Pendaftar per 1.000 penduduk 50% di bawah provinsi",
        "Data terlalu sedikit untuk dibandingkan",
    ]


def test_describe_filters_in_bahasa() -> None:
    filters = Filters(**PERIOD, waves=(1, 2), genders=("F",), disability=True)
    assert describe_filters(filters) == (
        "11 April 2020 – 3 September 2020; gelombang 1, 2; perempuan; penyandang disabilitas; "
        "semua kanal, usia"
    )


def test_export_log_appends_json_lines(export_store: Store) -> None:
    log_export("ani@example.id", "salindia-pptx", Filters(**PERIOD), "32")
    log_export(None, "grafik-png", "11 April 2020 – 3 September 2020", "ID")
    entries = read_log()[-2:]
    assert [e["kind"] for e in entries] == ["salindia-pptx", "grafik-png"]
    assert entries[0]["filters"]["date_from"] == "2020-04-11"
    assert entries[1]["user"] == "anonim"


def test_report_cli_rejects_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard.report import main

    assert main(["--region", "99", "--out", "x.pptx"]) == 2
    assert "Kode wilayah tidak dikenal: 99" in capsys.readouterr().err
    assert main(["--region", "32", "--from", "2020-02-30", "--out", "x.pptx"]) == 2
    assert "Tanggal awal tidak valid" in capsys.readouterr().err


def test_report_cli_out_names_a_file_or_a_folder(
    export_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #22, item 8: ``--out ''`` said "Penyegaran gagal" (a refresh failure), and
    ``--out DIR`` wrote ``DIR.html`` beside the folder."""
    from dashboard.report import main
    from queries.cli import run_command

    assert run_command(lambda: main(["--region", "32", "--out", ""])) == 2
    assert capsys.readouterr().err.splitlines() == [
        "Galat: --out kosong: beri nama berkas (mis. jabar.pptx) atau folder."
    ]
    folder = tmp_path / "berkas"
    folder.mkdir()
    assert main(["--region", "3216", "--format", "html", "--out", str(folder)]) == 0
    assert [path.name for path in folder.iterdir()] == ["3216-kabupaten-bekasi.html"]
    assert not folder.with_suffix(".html").exists()
    assert f"Ditulis: {folder / '3216-kabupaten-bekasi.html'}" in capsys.readouterr().out


def test_the_deck_benchmark_names_the_store_it_measured(app_env) -> None:
    """Its section once said "demo scale 0.05" (the setting's default) of decks built from a
    scale-1 store synced from PostgreSQL."""
    assert bench_decks.store_described() == (
        f"a store of the synthetic replica at scale {TEST_SCALE:g}"
    )
