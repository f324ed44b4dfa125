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
from dashboard.static_paths import APP_STATIC, MAP_COMPONENT, MAP_COMPONENT_DIR, map_component_url

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
    leaflet = f"app/static/leaflet/leaflet.{{}}?v={static_files.LEAFLET_VERSION}"
    map_files = [
        leaflet.format("css"),
        leaflet.format("js"),
        "app/static/boundaries/province-0123456789ab.json",
    ]
    position = hinted.index(map_files[0])
    assert hinted[position : position + 3] == map_files
    assert hinted.index(js["ComponentInstance"]) < position < hinted.index(js["Metric"])
    assert hinted.index(js["Slider"]) < hinted.index(js["ArrowVegaLiteChart"])
    assert hinted.index(js["Slider"]) < hinted.index(js["embed"])


def test_page_asks_for_streamlits_connection_check_with_the_page(prepared: Path) -> None:
    """The health check and host-config, which Streamlit awaits before opening the websocket,
    are preloaded as ``fetch`` (what Streamlit's ``fetch`` takes over), before the hints."""
    static_files.write_index(prepared, "province-0123456789ab.json")
    page = (prepared / "index.html").read_text(encoding="utf-8")
    for hint in static_files.CONNECTION_HINTS:
        assert hint in page and page.index(hint) < page.index('fetchpriority="low"')


def test_map_component_names_the_leaflet_the_page_hints() -> None:
    """The component's page and the hints name Leaflet with the vendored version, the URL the
    sidecar lets browsers keep; a new Leaflet needs a new ``LEAFLET_VERSION``."""
    version = static_files.LEAFLET_VERSION
    header = (APP_STATIC / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:200]
    assert f"Leaflet {version}," in header
    component = (MAP_COMPONENT_DIR / "index.html").read_text(encoding="utf-8")
    named = re.findall(r'"(/app/static/leaflet/[^"]+)"', component)
    assert named == [f"/app/static/leaflet/leaflet.{s}?v={version}" for s in ("css", "js")]
    assert all(f'href=".{url}"' in "".join(static_files.LEAFLET_HINTS) for url in named)


def test_map_component_url_is_streamlits_own_with_the_pages_hash() -> None:
    """The browser asks for the component's page where a worker serves it too (Streamlit's
    ``/component/<name>/``), with a version the sidecar keys its long cache on."""
    from dashboard.components import map_view

    assert map_view._component.name == MAP_COMPONENT
    assert map_view._component.url == map_component_url()
    assert re.fullmatch(
        rf"\./component/{re.escape(MAP_COMPONENT)}/index\.html\?v=[0-9a-f]{{12}}",
        map_component_url(),
    )
