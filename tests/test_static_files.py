"""The static sidecar's files (``dashboard.static_files``): compressed copies that decompress
to Streamlit's own files, and an icon font subset that still draws every icon Streamlit's
interface names while the dashboard names none of its own."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from fontTools.ttLib import TTFont

from dashboard import static_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRAKERJA_CACHE_DIR", str(tmp_path_factory.mktemp("static-cache")))
        return static_files.prepare()


def test_compressed_copies_decompress_to_streamlits_files(prepared: Path) -> None:
    scripts = sorted((static_files.STREAMLIT_STATIC / "js").glob("index.*.js"))
    assert scripts
    for original in scripts:
        copy = prepared / "static" / "js" / original.name
        data = original.read_bytes()
        assert gzip.decompress(copy.with_name(copy.name + ".gz").read_bytes()) == data
        assert brotli.decompress(copy.with_name(copy.name + ".br").read_bytes()) == data
        if len(data) > 100_000:  # Streamlit's main script: brotli takes it to under a third
            assert len(copy.with_name(copy.name + ".br").read_bytes()) < len(data) / 3


def test_icon_font_keeps_exactly_streamlits_icons(prepared: Path) -> None:
    (original,) = (static_files.STREAMLIT_STATIC / "media").glob(static_files.ICON_FONT)
    subset = prepared / "static" / "media" / original.name
    assert subset.stat().st_size < 20_000 < original.stat().st_size
    names = static_files.streamlit_icon_names()
    assert "keyboard_double_arrow_left" in names  # the sidebar's collapse button
    assert _ligatures(subset) == _ligatures(original) & names  # every icon the font has


def _ligatures(path: Path) -> set[str]:
    font = TTFont(path)
    letters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    return {
        letters[first] + "".join(letters[glyph] for glyph in ligature.Component)
        for table in static_files._ligature_tables(font)
        for first, ligatures in table.ligatures.items()
        for ligature in ligatures
    }


def test_the_dashboard_names_no_material_icon() -> None:
    """An icon of our own would be missing from the subset and show as its name."""
    sources = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]
    used = {
        f"{path.relative_to(ROOT)}: {match}"
        for path in sources
        for match in re.findall(r":material/\w+:", path.read_text(encoding="utf-8"))
    }
    assert not used


def test_text_font_keeps_every_character_the_dashboard_writes(prepared: Path) -> None:
    (original,) = (static_files.STREAMLIT_STATIC / "media").glob("SourceSansVF-Upright.*")
    subset = prepared / "static" / "media" / original.name
    assert subset.stat().st_size < original.stat().st_size / 2
    sources = [ROOT / "dashboard", ROOT / "pages", ROOT / "geo", ROOT / "queries"]
    written = {
        character
        for folder in sources
        for path in folder.rglob("*.py")
        for character in path.read_text(encoding="utf-8")
    }
    assert {"…", "→", "–", "—", "·", "×", "÷", "−"} <= written  # the UI's own, not only code
    drawn, kept = TTFont(original).getBestCmap(), TTFont(subset).getBestCmap()
    assert not {c for c in written if ord(c) in drawn and ord(c) not in kept}
    assert [axis.axisTag for axis in TTFont(subset)["fvar"].axes] == ["wght"]  # every weight


def test_page_hints_the_map_first_then_the_rest_of_the_screen_then_the_charts(
    prepared: Path,
) -> None:
    static_files.write_index(prepared, "province-0123456789ab.json")
    page = (prepared / "index.html").read_text(encoding="utf-8")
    assert gzip.decompress((prepared / "index.html.gz").read_bytes()).decode() == page
    assert brotli.decompress((prepared / "index.html.br").read_bytes()).decode() == page
    hinted = re.findall(r'href="\./([^"]+)" fetchpriority="low"', page)
    assert len(hinted) == len(set(hinted)) > 50
    original = (static_files.STREAMLIT_STATIC.parent / "index.html").read_text(encoding="utf-8")
    assert not [path for path in hinted if path in original]  # Streamlit preloads those
    scripts = [path.removeprefix("static/js/") for path in hinted if path.startswith("static/")]
    assert all((static_files.STREAMLIT_STATIC / "js" / name).exists() for name in scripts)
    js = {name.split(".")[0]: f"static/js/{name}" for name in scripts}
    map_files = [
        "app/static/leaflet/leaflet.css",
        "app/static/leaflet/leaflet.js",
        "app/static/boundaries/province-0123456789ab.json",
    ]
    position = hinted.index(map_files[0])
    assert hinted[position : position + 3] == map_files
    assert hinted.index(js["ComponentInstance"]) < position < hinted.index(js["Metric"])
    assert hinted.index(js["Slider"]) < hinted.index(js["ArrowVegaLiteChart"])
    assert hinted.index(js["Slider"]) < hinted.index(js["embed"])
