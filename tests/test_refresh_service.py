"""The refresh service: its schedule, its backoff, and one real run against a replica."""

from __future__ import annotations

import argparse
import shutil

import pytest

from queries import refresh_service
from queries.health import read_health
from queries.refresh_service import parse_duration, seconds_until_next
from queries.store import current_version


def test_durations_read_like_cron_users_write_them() -> None:
    assert [parse_duration(t) for t in ("15m", "30s", "1h", "90")] == [900, 30, 3600, 90]
    with pytest.raises(argparse.ArgumentTypeError, match="durasi tidak valid"):
        parse_duration("seperempat jam")


def test_one_run_publishes_then_reports_an_unreachable_replica(
    sqlite_replica, tmp_path, monkeypatch
) -> None:
    replica = tmp_path / "replica.sqlite"
    shutil.copyfile(sqlite_replica.url.removeprefix("sqlite:///"), replica)
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRAKERJA_REPLICA_URL", f"sqlite:///{replica}")
    assert refresh_service.main(["--once"]) == 0
    store = tmp_path / "store"
    first = current_version(store)
    assert not read_health(store).failing
    assert seconds_until_next(900) == 900

    replica.unlink()  # the replica goes away: the store keeps its version, the status says why
    assert refresh_service.main(["--once"]) == 1
    health = read_health(store)
    assert current_version(store) == first
    assert health.failing and health.reason and health.failing_since
    assert 0 < seconds_until_next(900) <= 30  # the first retry comes soon, not after 15 min
