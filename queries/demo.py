"""Which replica a refresh reads, and the embedded synthetic demo replica when none is set.

The generator (``synthetic``) sits above the query layer: it writes replica-shaped databases
with ``queries.contract``, the URL helpers and the command-line runner. So the query layer
never imports it. When the demo replica is missing, it runs the generator's own command,
``python -m synthetic --scale S --url URL``, as a child process and relays its progress: every
entry point (the app, ``make serve``, ``python -m queries.sync``, the refresh service, the other
commands) still builds the demo with no configuration, and a real deployment never loads the
generator (docs/ARCHITECTURE.md, "Layers").
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from queries import urls
from queries.health import RefreshFailedError, first_line
from queries.settings import demo_replica_url, demo_scale, replica_url

ROOT = Path(__file__).resolve().parents[1]
"""Where ``queries`` and ``synthetic`` live side by side (the checkout or site-packages)."""


def source() -> tuple[str, str]:
    """(url, kind): the configured replica (kind ``replica``) or the demo (kind ``demo``)."""
    configured = replica_url()
    return (configured, "replica") if configured else (demo_replica_url(), "demo")


def ensure_demo_replica(progress: Callable[[str, float], None] | None = None) -> str:
    """The demo replica's URL, after building it once (its file name carries the scale)."""
    url = demo_replica_url()
    if not urls.sqlite_path(url).exists():
        build_demo_replica(url, demo_scale(), progress)
    return url


def build_demo_replica(
    url: str, scale: float, progress: Callable[[str, float], None] | None = None
) -> None:
    """Run ``python -m synthetic`` for ``url``; its ``fraction<TAB>step`` lines feed
    ``progress``, and a failure is one line (the child's own) in Bahasa Indonesia."""
    command = [sys.executable, "-m", "synthetic", "--scale", repr(scale), "--url", url]
    command.append("--progress-lines")
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    with tempfile.TemporaryFile("w+") as errors:
        with subprocess.Popen(
            [*command, "--progress-lines"],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        ) as child:
            assert child.stdout is not None  # stdout=PIPE
            for line in child.stdout:
                _relay(line, progress)
        errors.seek(0)
        said = errors.read().strip()
    if child.returncode != 0:
        reason = first_line(RuntimeError(said.splitlines()[-1])) if said else "tanpa pesan"
        reason = reason.removeprefix("Galat: ")
        raise RefreshFailedError(f"Replika demo tidak dapat dibangun: {reason}")


def _relay(line: str, progress: Callable[[str, float], None] | None) -> None:
    """Pass one progress line on; other output (the closing "Selesai …") is not progress."""
    fraction, tab, step = line.rstrip("\n").partition("\t")
    try:
        done = float(fraction)
    except ValueError:
        return
    if progress is not None and tab:
        progress(step, done)
