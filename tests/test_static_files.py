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
