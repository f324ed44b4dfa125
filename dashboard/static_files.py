"""Streamlit's front-end files, made small once and served by nginx (the static sidecar).

Streamlit sends its JavaScript uncompressed; HAProxy compresses on the fly with libslz, which is
fast but about 1.5x larger than ``gzip -9`` and cannot do brotli. Streamlit also preloads its
375 kB Material Symbols icon font on every first visit, although the only icons it then draws
are the few its own interface names. So, once per Streamlit version, :func:`prepare`:

- copies ``streamlit/static/static`` (served under ``/static/``) to the cache directory,
- replaces the icon font by a subset with only the icons Streamlit's own JavaScript names
  (``:material/…:``); the dashboard itself uses none (``tests/test_static_files.py``),
- writes ``.gz`` (gzip -9) and ``.br`` (brotli) beside every text file,

and nginx serves them with ``gzip_static``/``brotli_static`` (``deploy/nginx-static.conf``)
behind HAProxy, which sends ``/static/`` there. The dashboard's own ``/app/static/`` files
(``dashboard/static/``: Leaflet, and the map's content-hashed boundary files written by
:func:`prepare_app_static` from the boundary cache) are served the same way.
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

from geo import boundary_files
from geo.boundaries import cache_dir

ROOT = Path(__file__).resolve().parent.parent
APP_STATIC = ROOT / "dashboard" / "static"
BOUNDARY_DIR = APP_STATIC / "boundaries"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx-static.conf"
STREAMLIT_STATIC = Path(streamlit.__file__).resolve().parent / "static" / "static"
COMPRESSED_SUFFIXES = {".js", ".css", ".svg", ".json", ".txt", ".ttf", ".html"}
ICON_FONT = "MaterialSymbols-Rounded.*.woff2"
ICON_NAME = re.compile(r":material/([a-z0-9_]+):")
READY = "READY"


def prepared_dir() -> Path:
    """Where this Streamlit version's prepared files live (``…/static/`` is the URL root)."""
    return cache_dir() / f"static-{streamlit.__version__}"


def prepare() -> Path:
    """Build the prepared copy unless it exists; built aside and renamed, so a reader never
    sees half of it."""
    target = prepared_dir()
    if (target / READY).exists():
        return target
    building = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.copytree(STREAMLIT_STATIC, building / "static")
    for font in (building / "static" / "media").glob(ICON_FONT):
        font.write_bytes(icon_font_subset(font.read_bytes(), streamlit_icon_names()))
    for path in sorted((building / "static").rglob("*")):
        if path.suffix in COMPRESSED_SUFFIXES:
            write_compressed(path)
    (building / READY).write_text(streamlit.__version__, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


def prepare_app_static() -> list[str]:
    """Compressed copies of the vendored Leaflet and every view's boundary file (none without
    a boundary cache: a worker writes them when the background download ends). Returns the
    boundary file names."""
    for path in (APP_STATIC / "leaflet").glob("leaflet.*"):
        if path.suffix in COMPRESSED_SUFFIXES:
            write_compressed(path)
    return boundary_files.write_all(BOUNDARY_DIR)


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
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set("".join(names)))))
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


def write_compressed(path: Path) -> None:
    """``path.gz`` and ``path.br`` beside ``path``; nginx picks what the browser accepts."""
    data = path.read_bytes()
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=9))


def nginx_config(listen: str, root: Path, run_dir: Path) -> str:
    """``deploy/nginx-static.conf`` filled in; nginx has no environment variables."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    values = {
        "LISTEN": listen,
        "ROOT": str(root),
        "APP_STATIC": str(APP_STATIC),
        "RUN_DIR": str(run_dir),
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
