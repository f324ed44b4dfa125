"""The running app and a headless Chromium, shared by every browser test module (one app
server per test session). Registered in ``tests/conftest.py``."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from geo_fixtures import CHROMIUM, CHROMIUM_ARGS

from dashboard.serve import worker_command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(env_overrides: dict[str, str]) -> Iterator[str]:
    """A worker (the served command) with these settings on a free port, until the block
    ends; yields its URL once it accepts connections."""
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(  # the same command as a served worker
        worker_command(port),
        cwd=root,
        env={**os.environ, **env_overrides},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="session")
def app_url(
    app_data_dir: Path, boundary_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    agenda = tmp_path_factory.mktemp("browser-agenda") / "agenda.sqlite"
    settings = {
        "PRAKERJA_DATA_DIR": str(app_data_dir),
        "PRAKERJA_CACHE_DIR": str(boundary_cache),
        "PRAKERJA_REFRESH_MINUTES": "0",
        "PRAKERJA_APP_DB_URL": f"sqlite:///{agenda}",  # the Agenda's own (demo-seeded) database
        "PRAKERJA_AGENDA_OPEN_WRITE": "1",  # the open demo: tests record events without login
    }
    with running_app(settings) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until_idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the app's script run has finished (not just until something is drawn): a
    click during a run can leave a half-replaced element tree behind."""
    page.wait_for_function(
        "() => document.querySelector('.stApp')?.dataset.testScriptState === 'notRunning'",
        timeout=timeout_ms,
    )
