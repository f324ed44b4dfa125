"""Streamlit's front-end files, made small once and served by nginx (the static sidecar).

Streamlit sends its JavaScript uncompressed; HAProxy compresses on the fly with libslz, which is
fast but about 1.5x larger than ``gzip -9`` and cannot do brotli. Streamlit also preloads its
375 kB Material Symbols icon font on every first visit, although the only icons it then draws
are the few its own interface names. So, once per Streamlit version, :func:`prepare`:

- copies ``streamlit/static/static`` (served under ``/static/``) to the cache directory,
- replaces the icon font by a subset with only the icons Streamlit's own JavaScript names
  (``:material/…:``); the dashboard itself uses none (``tests/test_static_files.py``),
- cuts the text font (Source Sans, 170 kB, preloaded on every first visit) to the Latin,
  punctuation, arrow and math characters (68 kB): Indonesian needs no more, and a character
  outside would still show, in the browser's sans-serif,
- writes ``.gz`` (gzip -9) and ``.br`` (brotli) beside every text file,
- copies Streamlit's ``favicon.png``, and writes ``index.html``: Streamlit's page with hints
  (``<link rel=modulepreload>``/``preload``, low priority) for the chunks, Leaflet and the
  boundary file the first screen needs, so that on a slow link they download while the
  websocket opens and the server runs the page, instead of one round trip after another once
  each element arrives (docs/PERFORMANCE.md), and ``page.html``, the same without the
  national boundary file, for every other page path (``/daerah-saya``, ``/bandingkan``…, from
  ``dashboard/page_registry.py``); both tell Streamlit that the server's root is the page's
  directory, so that on a page path it asks for its connection check once, at the root,
  instead of first under the page's path and then at the root,

and nginx serves them with ``gzip_static``/``brotli_static`` (``deploy/nginx-static.conf``)
behind HAProxy, which sends ``/``, the page paths, ``/favicon.png`` and ``/static/`` there. The
dashboard's own ``/app/static/`` files (``dashboard/static/``: Leaflet, and the map's
content-hashed boundary files written by :func:`prepare_app_static` from the boundary cache)
are served the same way.
``python -m dashboard.static_files --listen 8088`` prepares (if needed) and runs nginx in the
foreground: the same command locally (``dashboard.serve``), in compose and in Kubernetes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import shutil
import sys
from pathlib import Path

import brotli
import streamlit
from fontTools import subset
from fontTools.ttLib import TTFont

from dashboard.page_registry import page_paths
from dashboard.static_paths import (
    APP_STATIC,
    BOUNDARY_DIR,
    BOUNDARY_URL,
    MAP_COMPONENT,
    MAP_COMPONENT_DIR,
    map_component_version,
)
from geo import boundary_files
from geo.boundaries import cache_dir

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx-static.conf"
STREAMLIT_STATIC = Path(streamlit.__file__).resolve().parent / "static" / "static"
COMPRESSED_SUFFIXES = {".js", ".css", ".svg", ".json", ".txt", ".ttf", ".html"}
ICON_FONT = "MaterialSymbols-Rounded.*.woff2"
ICON_NAME = re.compile(r":material/([a-z0-9_]+):")
TEXT_FONT = "SourceSansVF-*.woff2"
TEXT_CHARACTERS = "U+0000-024F,U+2000-206F,U+20AC,U+2122,U+2190-21FF,U+2200-22FF,U+FEFF,U+FFFD"
"""Basic Latin to Latin Extended-B, general punctuation, euro, trade mark, arrows, math."""
READY = "READY"
# Streamlit's lazily imported chunks that the Nasional screen draws, in the order the page at /
# hints them (each with the modules it imports): the map component's, then (after Leaflet and
# the boundary file) the KPIs', filters' and links', and last the Altair charts' (``embed`` is
# Vega's 244 kB). A first visit's waterfall found them; tests/test_serve.py checks that the
# hints are exactly what a first visit fetches.
MAP_CHUNKS = ("ComponentInstance",)
SCREEN_CHUNKS = (
    "Metric",
    "Html",
    "PageLink",
    "Slider",
    "Multiselect",
    "Selectbox",
    "Radio",
    "Button",
    "DownloadButton",
    "Table",
)
CHART_CHUNKS = ("ArrowVegaLiteChart", "vega-interpreter", "embed")
CONNECTION_HINTS = [
    '<link rel="preload" as="fetch" crossorigin href="./_stcore/health">',
    '<link rel="preload" as="fetch" crossorigin href="./_stcore/host-config">',
]
"""Streamlit's connection check, which its JavaScript awaits before opening the websocket:
asked for with the page, so that a visit whose modules come from the browser's cache does not
wait one more round trip after they have started (its ``fetch`` takes the preloaded answer)."""
BASE_URL_SCRIPT = (
    '<script>window.__streamlit={BACKEND_BASE_URL:new URL(".",location.href).href}</script>'
)
"""Streamlit's front end looks for its server under the page's path first (``/daerah-saya``,
then ``/``: its health check and host-config twice, two round trips before the websocket);
told the base (the page's directory, as its own ``./static/`` URLs are), it asks once. Read
when its module starts, so written before it; at ``/`` the base is ``/`` either way."""
PAGE_FILES = ("index.html", "page.html")
"""The page at ``/`` (with the national boundary file's hint) and at every other page path."""
LEAFLET_VERSION = "1.9.4"
"""The vendored Leaflet's version (``dashboard/static/leaflet/``): the ``?v=`` of the URLs the
map component's page and these hints name, which the sidecar lets browsers keep for good."""
LEAFLET_HINTS = [
    f'<link rel="preload" as="{kind}" href="./app/static/leaflet/leaflet.{suffix}'
    f'?v={LEAFLET_VERSION}" fetchpriority="low">'
    for kind, suffix in (("style", "css"), ("script", "js"))
]
DYNAMIC_IMPORT = re.compile(r"import\(`\./([^`]+\.js)`\)[^,]*,__vite__mapDeps\(\[([\d,]*)\]\)")
DEPENDENCY_FILES = re.compile(r"m\.f=\[([^\]]*)\]")
CHUNK_NAME = re.compile(r"^(.+)\.[\w-]{8}\.js$")


def prepared_dir() -> Path:
    """Where this Streamlit version's prepared files live (``…/static/`` is the URL root)."""
    return cache_dir() / f"static-{streamlit.__version__}"


def prepare() -> Path:
    """Build the prepared copy unless it exists; built aside and renamed, so a reader never
    sees half of it."""
    target = prepared_dir()
    if (target / READY).exists() and all((target / page).exists() for page in PAGE_FILES):
        return target
    building = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.copytree(STREAMLIT_STATIC, building / "static")
    shutil.copyfile(STREAMLIT_STATIC.parent / "favicon.png", building / "favicon.png")
    for font in (building / "static" / "media").glob(ICON_FONT):
        font.write_bytes(icon_font_subset(font.read_bytes(), streamlit_icon_names()))
    for font in (building / "static" / "media").glob(TEXT_FONT):
        font.write_bytes(text_font_subset(font.read_bytes()))
    for path in sorted((building / "static").rglob("*")):
        if path.suffix in COMPRESSED_SUFFIXES:
            write_compressed(path)
    write_index(building)
    (building / READY).write_text(streamlit.__version__, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


def prepare_app_static() -> list[str]:
    """Compressed copies of the vendored Leaflet, the map component's page and every view's
    boundary file (none without a boundary cache: a worker writes them when the background
    download ends), and the page's hint for the national province file. Returns the boundary
    file names."""
    for path in [*(APP_STATIC / "leaflet").glob("leaflet.*"), MAP_COMPONENT_DIR / "index.html"]:
        if path.suffix in COMPRESSED_SUFFIXES:
            write_compressed(path)
    names = boundary_files.write_all(BOUNDARY_DIR)
    write_index(prepared_dir(), next((n for n in names if n.startswith("province-")), None))
    return names


def write_index(root: Path, boundary: str | None = None) -> None:
    """``root/index.html`` and ``root/page.html`` (and their compressed copies): Streamlit's
    page with :data:`BASE_URL_SCRIPT` and the first screen's hints at the end of its head,
    after Streamlit's own (which load first). The map component's frame finds Leaflet and the
    national ``boundary`` file (``index.html`` only: the other pages draw other files) in the
    browser's cache."""
    js_dir = STREAMLIT_STATIC / "js"
    modules = chunk_modules(js_dir, MAP_CHUNKS + SCREEN_CHUNKS + CHART_CHUNKS)
    first = len(chunk_modules(js_dir, MAP_CHUNKS))  # the map component's modules
    before = CONNECTION_HINTS + [_module_hint(name) for name in modules[:first]] + LEAFLET_HINTS
    after = [_module_hint(name) for name in modules[first:]]
    # the map fetches it with fetch(): same mode (cors), same cache entry
    national = (
        [
            f'<link rel="preload" as="fetch" crossorigin href=".{BOUNDARY_URL}{boundary}"'
            ' fetchpriority="low">'
        ]
        if boundary
        else []
    )
    index, other_pages = PAGE_FILES
    streamlit_page = _streamlit_page()
    for name, hints in ((index, before + national + after), (other_pages, before + after)):
        head = [BASE_URL_SCRIPT, *hints]
        page = streamlit_page.replace("</head>", "  " + "\n    ".join(head) + "\n  </head>", 1)
        written = root / f"{name}.{os.getpid()}"
        written.write_text(page, encoding="utf-8")
        write_compressed(written, root / name)
        written.rename(root / name)  # replaced whole: nginx never sends half a page


def _module_hint(name: str) -> str:
    return f'<link rel="modulepreload" crossorigin href="./static/js/{name}" fetchpriority="low">'


def _streamlit_page() -> str:
    return (STREAMLIT_STATIC.parent / "index.html").read_text(encoding="utf-8")


def chunk_modules(js_dir: Path, chunks: tuple[str, ...]) -> list[str]:
    """The hashed files of ``chunks`` (by name) and of every module each one imports, in
    order, read from the build's own dependency lists (``__vite__mapDeps``), minus those
    Streamlit's page already preloads."""
    needs: dict[str, list[str]] = {}
    for script in sorted(js_dir.glob("*.js")):
        text = script.read_text(encoding="utf-8")
        files = DEPENDENCY_FILES.search(text)
        if not files:
            continue
        listed = [name.strip('"').removeprefix("./") for name in files[1].split(",")]
        for target, indices in DYNAMIC_IMPORT.findall(text):
            needs[target] = [listed[int(i)] for i in indices.split(",") if i] + [target]
    by_name = {CHUNK_NAME.sub(r"\1", target): target for target in needs}
    page = _streamlit_page()
    ordered = [
        module
        for chunk in chunks
        if chunk in by_name
        for module in needs[by_name[chunk]]
        if f"/{module}" not in page
    ]
    return list(dict.fromkeys(ordered))


def streamlit_icon_names() -> set[str]:
    """Every ``:material/<name>:`` icon Streamlit's own interface can draw."""
    names: set[str] = set()
    for script in (STREAMLIT_STATIC / "js").glob("*.js"):
        names |= set(ICON_NAME.findall(script.read_text(encoding="utf-8")))
    return names


def icon_font_subset(woff2: bytes, names: set[str]) -> bytes:
    """The icon font with only the ligatures spelling ``names`` (the font draws an icon for
    the ligature of its name's letters, so keeping the letters alone would keep every icon)."""
    font = TTFont(io.BytesIO(woff2))
    letters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    for table in _ligature_tables(font):
        for first, ligatures in list(table.ligatures.items()):
            kept = [
                ligature
                for ligature in ligatures
                if _spelled(letters, first, ligature.Component) in names
            ]
            if kept:
                table.ligatures[first] = kept
            else:
                del table.ligatures[first]
    return _woff2_subset(font, text="".join(sorted(set("".join(names)))))


def text_font_subset(woff2: bytes) -> bytes:
    """The text font with :data:`TEXT_CHARACTERS` only."""
    font = TTFont(io.BytesIO(woff2))
    return _woff2_subset(font, unicodes=subset.parse_unicodes(TEXT_CHARACTERS))


def _woff2_subset(font: TTFont, **wanted: str | list[int]) -> bytes:
    """``font`` cut to the ``text`` or ``unicodes`` wanted, as woff2, keeping every OpenType
    feature (ligatures, kerning) and a variable font's axes (every weight)."""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(**wanted)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _spelled(letters: dict[str, str], first: str, rest: list[str]) -> str:
    return "".join(letters.get(glyph, "\0") for glyph in [first, *rest])


def _ligature_tables(font: TTFont) -> list:
    tables = []
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = table.ExtSubTable if table.LookupType == 7 else table
            if table.LookupType == 4:
                tables.append(table)
    return tables


def write_compressed(path: Path, served: Path | None = None) -> None:
    """``.gz`` and ``.br`` copies of ``path`` beside ``served`` (by default ``path``); nginx
    picks what the browser accepts."""
    data, served = path.read_bytes(), served or path
    served.with_name(served.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    served.with_name(served.name + ".br").write_bytes(brotli.compress(data, quality=9))


def nginx_config(listen: str, root: Path, run_dir: Path) -> str:
    """``deploy/nginx-static.conf`` filled in; nginx has no environment variables."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    values = {
        "LISTEN": listen,
        "ROOT": str(root),
        "APP_STATIC": str(APP_STATIC),
        "MAP_COMPONENT": MAP_COMPONENT,
        "MAP_COMPONENT_DIR": str(MAP_COMPONENT_DIR),
        "MAP_COMPONENT_VERSION": map_component_version(),
        "LEAFLET_VERSION": LEAFLET_VERSION,
        "RUN_DIR": str(run_dir),
        "PAGE_PATHS": "|".join(re.escape(path.removeprefix("/")) for path in page_paths()),
    }
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    if os.geteuid() == 0:  # started by root, nginx's workers would become 'nobody', who
        text = "user root;\n" + text  # cannot read a private cache directory
    return text


def static_command(listen: str) -> list[str]:
    """The static sidecar; the compose file and the Kubernetes manifests run the same."""
    return [sys.executable, "-m", "dashboard.static_files", "--listen", listen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.static_files", description=__doc__)
    parser.add_argument("--listen", help="nginx's listen address (port or unix:path)")
    parser.add_argument("--run-dir", default="/tmp/pantau-static", help="config, pid, temp")
    args = parser.parse_args(argv)
    root = prepare()
    if not args.listen:  # the build step: the dashboard's own files too
        written = prepare_app_static()
        print(root)
        print(f"{BOUNDARY_DIR} ({len(written)} berkas batas wilayah)")
        return 0
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.listen.startswith("unix:"):  # a killed nginx leaves its socket behind
        Path(args.listen.removeprefix("unix:")).unlink(missing_ok=True)
    config = run_dir / "nginx.conf"
    config.write_text(nginx_config(args.listen, root, run_dir), encoding="utf-8")
    nginx = ["nginx", "-e", "stderr", "-p", str(run_dir), "-c", str(config)]
    os.execvp("nginx", nginx)  # in the foreground (daemon off): the supervisor watches it
    return 0


if __name__ == "__main__":
    sys.exit(main())
