"""Presenters everywhere (issue #13): every region's deck in one run, the offline HTML report,
slides that survive LibreOffice, and the time-lapse map. Real files, real Chromium, real
LibreOffice."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from dashboard import formatting
from dashboard.access import Scope
from dashboard.exports import batch, deck, deck_check, html_report, slides, static_map, timelapse
from geo.regions import regencies
from queries import metrics
from queries.filters import Filters
from queries.store import Store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def period(store: Store) -> Filters:
    return Filters(*metrics.data_period(store))


@pytest.fixture
def boundaries(boundary_cache: Path) -> Path:
    """The boundary cache, reloaded (an earlier test may have emptied the in-process cache)."""
    from geo.boundaries import clear_boundary_cache

    clear_boundary_cache()
    return boundary_cache


def _notes(pptx: bytes) -> list[str]:
    from pptx import Presentation

    shown = list(Presentation(io.BytesIO(pptx)).slides)[1:]  # the title slide has a timestamp
    return [slide.notes_slide.notes_text_frame.text for slide in shown]


# --- every region's deck in one run -------------------------------------------------------------


def test_batch_builds_in_parallel_resumes_and_matches_single_decks(
    store: Store, period: Filters, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "TASKS_PER_WORKER", 1)  # two rounds of fresh workers
    wanted = {"32", "75", "7571"}
    jobs = batch.plan("both", "pptx", lambda code: code in wanted)
    assert [job.file for job in jobs] == [
        "provinsi/32-jawa-barat.pptx",
        "provinsi/75-gorontalo.pptx",
        "kabupaten-kota/7571-kota-gorontalo.pptx",
    ]
    spec = batch.BatchSpec(
        "pptx", True, period.date_from.isoformat(), period.date_to.isoformat(), str(store.path)
    )
    first = batch.run_batch(jobs, spec, tmp_path, workers=2, progress=False)
    assert (first.built, first.skipped) == (3, 0)
    again = batch.run_batch(jobs, spec, tmp_path, workers=2, progress=False)
    assert (again.built, again.skipped) == (0, 3)

    with (tmp_path / "index.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["kode"], r["wilayah"]) for r in rows] == [
        ("32", "Jawa Barat"),
        ("75", "Gorontalo"),
        ("7571", "Kota Gorontalo"),
    ]
    assert {r["periode"] for r in rows} == {f"{period.date_from}..{period.date_to}"}
    assert all(r["data_per"].startswith("Data per ") for r in rows)
    assert "kabupaten-kota/7571-kota-gorontalo.pptx" in (tmp_path / "index.html").read_text()
    assert (tmp_path / "provinsi/32-jawa-barat.pdf").stat().st_size > 0

    # A regency deck from the batch is the single deck: same suppressed numbers on every slide.
    built = (tmp_path / "kabupaten-kota/7571-kota-gorontalo.pptx").read_bytes()
    assert _notes(built) == _notes(deck.build_deck(store, period, "7571"))

    # A new store version makes every file stale again.
    moved = batch.BatchSpec("pptx", True, spec.date_from, spec.date_to, "/x/store-new.duckdb")
    assert not batch.is_current(batch.read_index(tmp_path)[jobs[0].file], moved, tmp_path)


def test_batch_reports_a_failing_region_and_keeps_going(
    store: Store, period: Filters, tmp_path: Path
) -> None:
    spec = batch.BatchSpec(
        "pptx", False, period.date_from.isoformat(), period.date_to.isoformat(), str(store.path)
    )
    bad = batch.Job("9999", "Tidak ada", "regency", "kabupaten-kota/9999-tidak-ada.pptx")
    result = batch.run_batch([bad], spec, tmp_path, workers=1, progress=False)
    assert (result.built, len(result.failed)) == (0, 1)
    assert result.failed[0].startswith("9999 Tidak ada: ")
    assert batch.read_index(tmp_path) == {}
    assert not (tmp_path / bad.file).exists()


def test_batch_respects_access_scopes() -> None:
    province_user = batch.plan("both", "pptx", Scope("32").may_export_deck)
    assert {job.code[:2] for job in province_user} == {"32"}
    assert len(province_user) == 1 + int((regencies()["province_code"] == "32").sum())
    assert batch.plan("both", "pptx", Scope("3273").may_export_deck) == []


def test_report_cli_all_rejects_a_file_and_an_empty_scope(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dashboard.report import main

    assert main(["--all", "province", "--out", "x.pptx"]) == 2
    assert "--out adalah folder" in capsys.readouterr().err
    assert main(["--all", "regency", "--scope", "99", "--out", "decks"]) == 2
    assert "Kode wilayah tidak dikenal: 99" in capsys.readouterr().err


# --- slides -------------------------------------------------------------------------------------


def test_slides_use_the_arial_theme_and_a_big_map(store: Store, period: Filters) -> None:
    from pptx import Presentation
    from pptx.opc.constants import RELATIONSHIP_TYPE

    presentation = Presentation(io.BytesIO(deck.build_deck(store, period, "32")))
    theme = presentation.slide_master.part.part_related_by(RELATIONSHIP_TYPE.THEME).blob
    assert b'<a:latin typeface="Arial"' in theme and b"Calibri" not in theme
    (picture,) = [s for s in presentation.slides[2].shapes if s.shape_type == 13]
    content = deck.BODY_W * (deck.BODY_BOTTOM - deck.BODY_TOP)
    placed = (picture.width / 914400) * (picture.height / 914400)
    _x, _y, w, h = static_map.slide_map_box(focused=True)
    assert placed / content == pytest.approx(1.0, abs=0.01)
    assert placed * w * h / content >= 0.7
    _x, _y, w, h = static_map.slide_map_box(focused=False)
    assert w * h >= 0.7


def test_long_titles_shrink_to_fit_their_frame() -> None:
    long_title = "Peta: pendaftar per 1.000 penduduk — Kepulauan Bangka Belitung dan sekitarnya"
    box = slides.title_box(long_title)
    assert slides.MIN_SIZE <= box.size < slides.TITLE_SIZE
    lines = slides.wrap_lines(box.text, box.w - slides.INSET_W, box.size, bold=True)
    assert len(lines) * box.size * slides.LINE_HEIGHT / 72 <= box.h - slides.INSET_H
    assert slides.title_box("Catatan data").size == slides.TITLE_SIZE


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice: bash .ci/services.sh")
def test_libreoffice_shows_every_picture_and_no_overflow(
    store: Store, period: Filters, tmp_path: Path
) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    good = tmp_path / "kepulauan-bangka-belitung.pptx"
    good.write_bytes(deck.build_deck(store, period, "19"))
    # A deck written without our model: a long text in a small box must be caught.
    broken = Presentation()
    slide = broken.slides.add_slide(broken.slide_layouts[5])
    slide.shapes.title.text = "Judul"
    box = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(3), Inches(0.5))
    box.text_frame.word_wrap = True
    box.text_frame.text = "Teks panjang ini tidak muat di dalam kotak kecil dan meluap ke bawah"
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(24)
    bad = tmp_path / "meluap.pptx"
    broken.save(str(bad))

    pdfs = deck_check.convert([good, bad], tmp_path / "pdf")
    assert deck_check.check_deck(good, pdfs[0]) == []
    assert deck_check.page_images(pdfs[0]) == {3: 1, 4: 1, 5: 1, 6: 4, 7: 3}
    (problem,) = deck_check.check_deck(bad, pdfs[1])
    assert "overflows its frame" in problem


# --- the offline HTML report --------------------------------------------------------------------


def test_offline_report_draws_the_map_without_any_request(
    browser, store: Store, period: Filters, boundaries: Path
) -> None:
    document = html_report.build_html_report(store, period, "32")
    assert len(document.encode("utf-8")) <= 1_500_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "laporan-32.html").write_text(document, encoding="utf-8")
    totals = metrics.totals(store, period.with_region("32")).iloc[0]
    requests: list[str] = []
    viewport = {"width": 1366, "height": 768}
    with contextlib.closing(browser.new_context(offline=True, viewport=viewport)) as context:

        def refuse(route) -> None:
            requests.append(route.request.url)
            route.abort()

        context.route("**/*", refuse)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.set_content(document, wait_until="load")
        page.wait_for_selector("path.leaflet-interactive")
        drawn = page.locator(".leaflet-overlay-pane path.leaflet-interactive").count()
        map_box = page.locator(".folium-map").bounding_box()
        order = page.evaluate(
            "[...document.querySelectorAll('h2, .folium-map')].map(e => e.tagName)"
        )
        kpis = {
            key: page.locator(f'[data-metric="{key}"] .exact').inner_text()
            for key in ("registrants", "recipients", "completed", "paid", "paid_idr")
        }
        stamp = page.locator("[data-stamp]").inner_text()
        charts = page.locator("figure.chart svg").count()
        page.screenshot(path=str(ARTIFACTS / "laporan-32.png"), full_page=False)
    assert requests == []
    assert map_box["height"] >= 500 and map_box["width"] >= 900
    assert order[:3] == ["H2", "H2", "DIV"]  # key figures, map heading, the map
    assert drawn >= int((regencies()["province_code"] == "32").sum())
    for key in ("registrants", "recipients", "completed", "paid"):
        assert kpis[key] == f"{formatting.number(totals[key])} orang"
    assert kpis["paid_idr"] == formatting.rupiah(totals["paid_idr"])
    assert stamp == "DATA SINTETIS"
    assert charts == 9  # trend, funnel and seven breakdowns


def test_regency_report_hides_small_counts_like_the_deck(store: Store, period: Filters) -> None:
    code = next(
        c
        for c in regencies()["code"]
        if 0 < metrics.totals(store, period.with_region(c)).iloc[0]["paid"] < 10
    )
    document = html_report.build_html_report(store, period, code)
    card = document.split('data-metric="paid">', 1)[1].split('<div class="kpi"', 1)[0]
    assert '<div class="big">&lt;10</div>' in card
    assert "jumlah kecil disembunyikan" in card


# --- time-lapse ---------------------------------------------------------------------------------


def _keep(name: str, data: bytes) -> None:
    """Leave the file in artifacts/ to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


def _assert_stamped(frame: Image.Image) -> None:
    """The red DATA SINTETIS stamp (top right) and the as-of line (dark text, bottom left)."""
    stamp = frame.crop((700, 40, 950, 80)).getcolors(1 << 16)
    assert stamp is not None  # fewer colours than the limit
    # Pillow types colours for every mode; an RGB frame's are (r, g, b), an L crop's one int
    assert any(r > 150 and g < 60 and b < 60 for _n, (r, g, b) in stamp)  # type: ignore[misc]
    darkest, _lightest = frame.crop((15, 505, 500, 530)).convert("L").getextrema()
    assert darkest < 80  # type: ignore[operator]


def _decoded(fmt: str, data: bytes) -> list[Image.Image]:
    """Every frame, decoded by the library that wrote it (Pillow for GIF, PyAV for MP4)."""
    if fmt == "gif":
        return [
            frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))
        ]
    import av

    with av.open(io.BytesIO(data), "r") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        return [frame.to_image() for frame in container.decode(video=0)]


@pytest.mark.parametrize(
    ("fmt", "held"),
    [("gif", 0), ("mp4", timelapse.LAST_FRAME_MS // timelapse.FRAME_MS - 1)],
)
def test_timelapse_has_a_stamped_frame_per_week(
    store: Store, period: Filters, boundaries: Path, fmt: str, held: int
) -> None:
    data = timelapse.build_timelapse(store, period, "ID", fmt)
    assert len(data) <= timelapse.MAX_BYTES
    _keep(f"selang-waktu-nasional.{fmt}", data)
    frames = _decoded(fmt, data)
    # One frame per week; the MP4 repeats the last week at its end so players hold it.
    assert len(frames) == len(list(timelapse._weeks(period.date_from, period.date_to))) + held
    for frame in frames:
        assert frame.size == (960, 540)
        _assert_stamped(frame)
