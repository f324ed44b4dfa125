"""Fixtures for a real PostgreSQL primary + streaming hot standby (see ``tests/standby.py``).

``hot_standby`` (session) starts the pair once, loads a small synthetic replica on the primary
and waits until the standby has replayed it. ``standby_pair`` (per test) hands out the same
pair after making sure both servers run and stream again, so a test that stopped one of them
and failed half-way does not break the next test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from standby import StreamingPair, binaries_available, streaming_pair

from synthetic import generator

STANDBY_SCALE = 0.002
"""31,800 registrants: enough rows for COPY and incremental syncs, loaded in about a second."""


@pytest.fixture(scope="session")
def hot_standby() -> Iterator[StreamingPair]:
    """A primary with the synthetic replica and a hot standby that has replayed it."""
    if not binaries_available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found")
    with streaming_pair() as pair:
        generator.build(pair.primary_url, STANDBY_SCALE)
        pair.wait_for_replay()
        yield pair


@pytest.fixture
def standby_pair(hot_standby: StreamingPair) -> StreamingPair:
    """The session's pair, both servers running and streaming."""
    hot_standby.ensure_running()
    return hot_standby
