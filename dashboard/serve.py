"""Serve the dashboard to many people on one machine: ``python -m dashboard.serve --workers 2``.

Starts HAProxy (``deploy/haproxy.cfg``) on one port in front of N Streamlit workers and the
static sidecar (nginx with Streamlit's front-end files precompressed,
``dashboard.static_files``), plus the single refresh service (``queries.refresh_service``); the
workers run with the in-app refresh off. Streamlit keeps each browser tab's session in one
process, so the proxy pins a tab to its worker with a cookie; if that worker dies, the tab's
websocket reconnects through the proxy to another worker, which rebuilds the view from the URL.
A worker that exits is restarted.

``python -m dashboard.serve drain w1`` takes a worker out gently: no new tabs go to it, its
open tabs keep working (HAProxy's runtime API, ``set server … state drain``).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import static_files
from dashboard.page_registry import page_paths
from queries import bootstrap
from queries.cli import terminal
from queries.settings import data_dir

ROOT = Path(__file__).resolve().parent.parent
PROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
HEALTH_PATH = "/_stcore/health"
WORKER_ENV = {
    "PRAKERJA_REFRESH_MINUTES": "0",  # the refresh service is the only writer
    "STREAMLIT_SERVER_ENABLE_WEBSOCKET_COMPRESSION": "true",
    # no polling of the source files for changes: it took ~8 % of a busy worker's CPU
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
}


def worker_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """One Streamlit worker; the Dockerfile and the Kubernetes manifests run the same."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.port",
        str(port),
        "--server.address",
        address,
    ]


def refresh_command(every: str) -> list[str]:
    return [sys.executable, "-m", "queries.refresh_service", "--every", every]


def unsubscribe_command(listen: str) -> list[str]:
    """The one-click unsubscribe handler (RFC 8058) HAProxy sends e-mails' POSTs to."""
    return [sys.executable, "-m", "dashboard.subscriptions", "one-click", "--listen", listen]


def proxy_config(worker_ports: list[int], static_socket: Path, unsubscribe_socket: Path) -> str:
    """deploy/haproxy.cfg with one ``server`` line per local worker, and the static sidecar's
    and the one-click unsubscribe handler's unix sockets, instead of the template lines that
    discover containers through DNS."""
    local = {
        "worker": "\n".join(
            f"    server w{n} 127.0.0.1:{port}" for n, port in enumerate(worker_ports, start=1)
        ),
        "static": f"    server static unix@{static_socket} check",
        "unsubscribe": f"    server unsubscribe unix@{unsubscribe_socket} check",
    }
    lines = PROXY_TEMPLATE.read_text(encoding="utf-8").splitlines()
    out = [_local_server(line, local) for line in lines]
    return "\n".join(out) + "\n"


def _local_server(line: str, local: dict[str, str]) -> str:
    words = line.split()
    if len(words) > 1 and words[0] == "server-template":
        return local[words[1]]
    return line


def run_dir() -> Path:
    path = data_dir() / "serve"
    path.mkdir(parents=True, exist_ok=True)
    return path


def admin(command: str, socket_path: Path | None = None) -> str:
    """One command on HAProxy's runtime API (e.g. ``set server workers/w1 state drain``)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(socket_path or run_dir() / "haproxy.sock"))
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + HEALTH_PATH, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


@dataclass
class Topology:
    """The processes of one served machine, restarted when they exit unexpectedly."""

    args: argparse.Namespace
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    stopping: bool = False

    @property
    def worker_ports(self) -> list[int]:
        return [self.args.worker_port + n for n in range(self.args.workers)]

    def commands(self) -> dict[str, list[str]]:
        config = run_dir() / "haproxy.cfg"
        static_socket = run_dir() / "static.sock"
        unsubscribe_socket = run_dir() / "unsubscribe.sock"
        config.write_text(
            proxy_config(self.worker_ports, static_socket, unsubscribe_socket), encoding="utf-8"
        )
        commands = {
            f"w{n}": worker_command(port) for n, port in enumerate(self.worker_ports, start=1)
        }
        commands["static"] = [
            *static_files.static_command(f"unix:{static_socket}"),
            "--run-dir",
            str(run_dir() / "static"),
        ]
        commands["unsubscribe"] = unsubscribe_command(f"unix:{unsubscribe_socket}")
        if self.args.refresh_every != "0":
            commands["refresh"] = refresh_command(self.args.refresh_every)
        commands["proxy"] = ["haproxy", "-W", "-db", "-f", str(config)]
        return commands

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            **WORKER_ENV,
            "PRAKERJA_DATA_DIR": str(data_dir()),
            "PANTAU_RUN_DIR": str(run_dir()),
            "PANTAU_BIND": self.args.bind,
            "PANTAU_PORT": str(self.args.port),
            # the handler below answers mail clients' POSTs: e-mails may offer one-click
            "PRAKERJA_ONE_CLICK_UNSUBSCRIBE": "1",
            "PANTAU_PAGES": " ".join(page_paths()),  # served by the static sidecar
        }

    def start(self, name: str, command: list[str]) -> None:
        """Start (or restart) one process; its pid goes to ``<run dir>/<name>.pid``."""
        process = subprocess.Popen(command, cwd=ROOT, env=self.environment())
        self.processes[name] = process
        (run_dir() / f"{name}.pid").write_text(str(process.pid), encoding="utf-8")

    def run(self) -> int:
        commands = self.commands()
        for name, command in commands.items():
            self.start(name, command)
        url = f"http://{self.args.bind}:{self.args.port}"
        if wait_healthy(url, 90):
            print(f"Pantau Prakerja: {url} ({self.args.workers} worker)", flush=True)
        while not self.stopping:
            time.sleep(1)
            for name, process in list(self.processes.items()):
                if process.poll() is not None and not self.stopping:
                    print(f"{name} exited ({process.returncode}); restarting", flush=True)
                    self.start(name, commands[name])
        return 0

    def stop(self, *_: object) -> None:
        self.stopping = True
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve", description=__doc__)
    parser.add_argument("action", nargs="?", default="start", choices=["start", "drain", "ready"])
    parser.add_argument("worker", nargs="?", help="for drain/ready: w1, w2, …")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port")
    parser.add_argument("--bind", default="127.0.0.1", help="the proxy's address")
    parser.add_argument("--worker-port", type=int, default=8601, help="first worker's port")
    parser.add_argument(
        "--refresh-every", default="15m", help="refresh interval of the service (0 = none)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.action != "start":
        print(admin(f"set server workers/{args.worker} state {args.action}"), end="")
        return 0
    print("Menyiapkan penyimpanan analitik…", flush=True)
    bootstrap.ensure_store(progress=terminal())  # before the workers: one builder
    print("Menyiapkan berkas statis terkompresi…", flush=True)
    static_files.prepare()  # once per Streamlit version
    static_files.prepare_app_static()  # Leaflet, the map's boundary files
    topology = Topology(args)
    signal.signal(signal.SIGTERM, topology.stop)
    signal.signal(signal.SIGINT, topology.stop)
    return topology.run()


if __name__ == "__main__":
    sys.exit(main())
