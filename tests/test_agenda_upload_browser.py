"""A hostile spreadsheet uploaded on the Agenda page (issue #22, item 3), in Chromium against
the running app: refused with one line in Bahasa Indonesia, no traceback, no table of rows,
and the server's peak memory barely moves (before: 89 s and 1.25 GB for a million rows)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_fixtures import wait_until_idle

from bench import hostile_xlsx

pytestmark = pytest.mark.browser

CASES: dict[str, tuple[bytes | Iterator[bytes], str]] = {
    "huge-cell.xlsx": (hostile_xlsx.huge_cell(320 << 20), "Isi berkas terlalu besar setelah"),
    "million-rows.xlsx": (hostile_xlsx.many_rows(1_000_000), "(paling banyak 2 MB)"),
    "broken.xlsx": (hostile_xlsx.broken_xml(), "XML xl/worksheets/sheet1.xml tidak terbaca"),
    "entity-bomb.xlsx": (hostile_xlsx.entity_bomb(), "deklarasi DTD atau entitas XML"),
}


def _server_pid(app_url: str) -> int:
    """The app server behind ``app_url`` (the one process whose command names its port)."""
    port = app_url.rsplit(":", 1)[1]
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in words and port.encode() in words:
            return int(status.parent.name)
    raise AssertionError(f"no app server on port {port}")


def _peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_hostile_uploads_are_refused_in_one_line(browser, app_url: str, tmp_path: Path) -> None:
    pid = _server_pid(app_url)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app_url}/agenda")
    page.get_by_role("button", name="Impor").or_(page.get_by_text("Berkas agenda")).first.wait_for(
        timeout=90_000
    )
    wait_until_idle(page)
    before = _peak_mb(pid)
    took = {}
    for name, (part, said) in CASES.items():
        path = hostile_xlsx.write_xlsx(tmp_path / name, {hostile_xlsx.SHEET: part})
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(path)
        # the upload's own rerun clears the previous file's message
        page.locator('[data-testid="stAlertContentError"]').wait_for(state="detached")
        wait_until_idle(page)
        started = time.perf_counter()
        page.get_by_role("button", name="Impor").click()
        alert = page.locator('[data-testid="stAlertContentError"]', has_text=said)
        alert.wait_for(timeout=60_000)
        took[name] = time.perf_counter() - started
        wait_until_idle(page)
        (line,) = alert.inner_text().strip().splitlines()
        assert line.startswith("Berkas ditolak: ") and line.endswith("Tidak ada yang disimpan.")
        assert not page.locator('[data-testid="stException"]').count()
        assert not page.get_by_text("Masalah pada berkas yang ditolak").count()
    grown = _peak_mb(pid) - before
    print(f"app: refusal seconds {took}, peak RSS grew {grown:.0f} MB")
    assert grown <= 150, f"the app's peak memory grew {grown:.0f} MB"
    assert not errors, errors
    page.close()
