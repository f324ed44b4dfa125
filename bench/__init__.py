"""Benchmarks: timed runs against real stores, servers and browsers (see docs/PERFORMANCE.md)."""

from __future__ import annotations

import argparse
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def require_loopback(parser: argparse.ArgumentParser, url: str) -> None:
    """Stop at the argument check unless ``url`` is on this machine: the benchmarks load a
    server hard, which nobody should point at a shared one."""
    if urlparse(url).hostname not in LOOPBACK:
        parser.error("only loopback URLs (127.0.0.1, localhost) are measured")
