"""Fixtures for the geo tests: the shared boundary files and a boundary cache built from them.

Registered by ``pytest_plugins = ["geo_fixtures"]`` in ``tests/conftest.py``. The boundary
files are third-party data kept beside the repository (never inside it); the cache is built
once per session into a temporary directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = REPO_ROOT / "dashboard" / "static"
ARTIFACTS_DIR = REPO_ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shared_dir() -> Path:
    """``$PRAKERJA_SHARED_DIR``, else the ``shared`` folder beside the repository."""
    return Path(os.environ.get("PRAKERJA_SHARED_DIR") or REPO_ROOT.parent / "shared")


@pytest.fixture(scope="session")
def boundary_source() -> Path:
    """The upstream ``wilayah_boundaries`` files. A developer without them skips the map
    tests; CI (``CI`` set) always has them beside the clone, so there it is an error."""
    source = shared_dir() / "geo" / "wilayah_boundaries"
    if not (source / "db" / "kab").is_dir():
        message = f"boundary files not found in {source} (set PRAKERJA_SHARED_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return source


@pytest.fixture(scope="session")
def boundary_cache(
    boundary_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A boundary cache built by ``fetch(from_dir=...)``; PRAKERJA_CACHE_DIR points at it."""
    from geo.boundaries import clear_boundary_cache, fetch

    cache = tmp_path_factory.mktemp("boundary-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRAKERJA_CACHE_DIR", str(cache))
        clear_boundary_cache()
        fetch(from_dir=boundary_source)
        yield cache
    clear_boundary_cache()


@pytest.fixture
def source_copy(boundary_source: Path, tmp_path: Path) -> Path:
    """A writable copy of the upstream ``db`` folder, for tampering with."""
    target = tmp_path / "wilayah_boundaries"
    shutil.copytree(boundary_source / "db", target / "db")
    return target


@pytest.fixture
def cache_copy(boundary_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the built cache, so failure tests can check it stays intact."""
    from geo.boundaries import clear_boundary_cache

    target = tmp_path / "cache"
    shutil.copytree(boundary_cache, target)
    monkeypatch.setenv("PRAKERJA_CACHE_DIR", str(target))
    clear_boundary_cache()
    return target


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory: boundaries are unavailable."""
    from geo.boundaries import clear_boundary_cache

    target = tmp_path / "empty-cache"
    target.mkdir()
    monkeypatch.setenv("PRAKERJA_CACHE_DIR", str(target))
    clear_boundary_cache()
    return target


def snapshot(directory: Path) -> dict[str, bytes]:
    """File name → content of the cache files, to prove a failed rebuild changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.parquet"))}
