"""Append-only log of exports (who, what, when, which filters), one JSON object per line.

Kept beside the store in the data directory, so operators can see which figures left the
dashboard. Each entry is one ``write`` to a file opened for appending, which POSIX keeps whole
even when two sessions export at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from queries.filters import Filters
from queries.settings import data_dir

LOG_NAME = "exports.log.jsonl"


def log_path() -> Path:
    return data_dir() / LOG_NAME


def log_export(user: str | None, kind: str, filters: Filters | str, region: str) -> dict:
    """Append one entry and return it. ``kind`` names the file, e.g. ``salindia-pptx``;
    ``filters`` may be the filters' description when a screen only has that."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or "anonim",
        "kind": kind,
        "region": region,
        "filters": (
            {"description": filters}
            if isinstance(filters, str)
            else {k: _plain(v) for k, v in asdict(filters).items()}
        ),
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with log_path().open("a", encoding="utf-8") as handle:
        handle.write(line)
    return entry


def read_log(path: Path | None = None) -> list[dict]:
    """All entries, oldest first (skipping a torn last line after a crash)."""
    target = path or log_path()
    if not target.exists():
        return []
    entries = []
    for line in target.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    return value.isoformat() if hasattr(value, "isoformat") else value
