"""The kecamatan level on the presenters' side (issue 20): the regency deck's kecamatan map and
priority slides, the offline report's kecamatan map, the kecamatan table export, the kecamatan
priorities and the access scope of a kecamatan."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from export_fixtures import PERIOD, THRESHOLD

from dashboard import formatting, priorities
from dashboard.access import Scope, clamp
from dashboard.components.district_view import district_table
from dashboard.exports import deck, files, html_report
from dashboard.exports.context import context_from_store
from geo.regions import districts_of
from queries import metrics
from queries.filters import Filters
from queries.store import Store
from queries.suppression import ProtectedFigures

BEKASI = "3216"


def _slides(data: bytes) -> list:
    from pptx import Presentation

    return list(Presentation(io.BytesIO(data)).slides)


def _table_cells(slide) -> list[list[str]]:
    table = next(shape.table for shape in slide.shapes if getattr(shape, "has_table", False))
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_regency_deck_has_a_kecamatan_map_and_kecamatan_priorities(export_store: Store) -> None:
    slides = _slides(deck.build_deck(export_store, Filters(**PERIOD), BEKASI))
    titles = [slide.shapes.title.text for slide in slides]
    assert "Peta kecamatan: bagian dari pendaftar kabupaten/kota — Kabupaten Bekasi" in titles
    assert "Prioritas kecamatan — Kabupaten Bekasi" in titles
    assert (
        titles.index("Prioritas kecamatan — Kabupaten Bekasi")
        == titles.index("Prioritas sosialisasi — Jawa Barat") + 1
    )
    rows = _table_cells(slides[titles.index("Prioritas kecamatan — Kabupaten Bekasi")])
    assert rows[0][0] == "Kecamatan" and 1 < len(rows) <= 8
    names = set(districts_of(BEKASI)["name"])
    assert {row[0] for row in rows[1:]} <= names  # kecamatan of Bekasi only, no unknown row
    province_titles = [
        s.shapes.title.text for s in _slides(deck.build_deck(export_store, Filters(**PERIOD), "32"))
    ]
    assert not any("kecamatan" in title.lower() for title in province_titles)


def test_a_kecamatan_deck_leaves_out_what_a_kecamatan_has_no_table_for(
    export_store: Store,
) -> None:
    slides = _slides(deck.build_deck(export_store, Filters(**PERIOD), "321601"))
    notes = "\n".join(slide.notes_slide.notes_text_frame.text for slide in slides)
    assert "Jenis kelamin (" in notes and "Gelombang (" in notes
    assert "Platform pelatihan (" not in notes and "Mitra pembayaran (" not in notes
    assert slides[0].shapes.title.text == "Pantau Prakerja: Tarumajaya, Kabupaten Bekasi"


def test_regency_report_carries_the_kecamatan_map(export_store: Store) -> None:
    document = html_report.build_html_report(export_store, Filters(**PERIOD), BEKASI)
    assert document.count('class="folium-map') == 2
    heading = document.index("Peta kecamatan: bagian dari pendaftar kabupaten/kota")
    maps = [i for i in range(len(document)) if document.startswith('<div class="folium-map', i)]
    assert maps[0] < heading < maps[1] < document.index("<h2>Tren mingguan</h2>")
    province = html_report.build_html_report(export_store, Filters(**PERIOD), "32")
    assert province.count('class="folium-map') == 1


def test_kecamatan_table_export_has_every_kecamatan_and_hides_small_counts(
    export_store: Store,
) -> None:
    filters = Filters(**PERIOD, region=BEKASI)
    shown = ProtectedFigures.direct(export_store, THRESHOLD).district_metrics(filters)
    raw = metrics.district_metrics(export_store, filters).set_index("code")
    context = context_from_store(export_store, filters, "Kecamatan — Kabupaten Bekasi")
    data = files.table_csv(district_table(shown), context, THRESHOLD)
    table = pd.read_csv(
        io.BytesIO(data), comment="#", dtype={"Kode wilayah": str}, encoding="utf-8-sig"
    )
    assert list(table["Kode wilayah"]) == [*districts_of(BEKASI)["code"], f"{BEKASI}??"]
    assert table["Wilayah"].iloc[-1] == "Kecamatan tidak dikenal"
    for code, text in zip(table["Kode wilayah"], table["Pendaftar"].astype(str), strict=True):
        value = int(raw.loc[code, "registrants"])
        assert text == (f"<{THRESHOLD}" if text.startswith("<") else str(value))
    assert int(raw["registrants"].sum()) == int(
        metrics.totals(export_store, filters).iloc[0]["registrants"]
    )


def test_kecamatan_priorities_rank_conversion_and_completion_gaps() -> None:
    frame = pd.DataFrame(
        {
            "code": ["321601", "321602", "321603"],
            "name": ["Tarumajaya", "Babelan", "Sukawangi"],
            "recipient_rate": [0.10, 0.20, float("nan")],
            "completion_rate": [0.20, 0.30, 0.25],
        }
    )
    reference = pd.Series({"recipient_rate": 0.20, "completion_rate": 0.40})
    ranked = priorities.outreach_priorities(
        frame, reference, "kabupaten/kota", priorities.DISTRICT_GAPS
    )
    assert list(ranked["code"]) == ["321601", "321603", "321602"]
    assert ranked["gap_score"].round(2).tolist() == [1.0, 0.38, 0.25]
    assert ranked["reason"].iloc[0] == (
        "Penerima per pendaftar 50% di bawah kabupaten/kota; "
        "penyelesaian pelatihan per penerima 50% di bawah kabupaten/kota"
    )
    shown = priorities.display_frame(ranked, picked="321602", gaps=priorities.DISTRICT_GAPS)
    assert list(shown.columns) == [
        "Wilayah",
        "Penerima per pendaftar",
        "Penyelesaian pelatihan per penerima",
        "Skor kesenjangan",
        "Alasan",
    ]
    assert shown["Wilayah"].iloc[2] == "Babelan (pilihan Anda)"


@pytest.mark.parametrize(
    ("scope", "asked", "shown"),
    [
        ("3216", "321601", "321601"),  # the user's own kecamatan
        ("3216", "327301", "32"),  # a kecamatan of Kota Bandung: only its province
        ("32", "327301", "327301"),
        ("ID", "321601", "321601"),
    ],
)
def test_a_regency_user_sees_their_own_kecamatan_only(scope: str, asked: str, shown: str) -> None:
    filters = Filters(date(2020, 4, 11), date(2020, 9, 3), region=asked)
    clamped, notices = clamp(filters, Scope(scope))
    assert clamped.region == shown
    assert bool(notices) == (shown != asked)


def test_deck_ranks_kecamatan_as_the_screen_does(export_store: Store) -> None:
    """One ranking for the screen and the deck: the deck's slide lists the first seven of
    ``priorities.district_priorities`` (what Daerah Saya shows) on the same protected
    figures, and the reference line quotes the regency's own rates."""
    figures = ProtectedFigures.direct(export_store, THRESHOLD)
    regency = Filters(**PERIOD).with_region(BEKASI)
    ranked, reference = priorities.district_priorities(
        figures.district_metrics(regency), figures.totals(regency), "kabupaten/kota"
    )
    assert set(ranked["code"]) == set(districts_of(BEKASI)["code"])  # no unknown row
    counts = figures.totals(regency)
    assert reference["recipient_rate"] == pytest.approx(
        int(counts["recipients"]) / int(counts["registrants"])
    )
    slides = _slides(deck.build_deck(export_store, Filters(**PERIOD), BEKASI))
    titles = [slide.shapes.title.text for slide in slides]
    slide = slides[titles.index("Prioritas kecamatan — Kabupaten Bekasi")]
    assert [row[0] for row in _table_cells(slide)[1:]] == list(ranked["name"][:7])
    intro = next(s.text_frame.text for s in slide.shapes if s.has_text_frame and "acuan" in s.text)
    assert formatting.percent(reference["recipient_rate"]) in intro
