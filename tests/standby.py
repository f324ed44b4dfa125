"""A throwaway PostgreSQL primary and streaming hot standby, for fault tests against a real
standby (``tests/test_standby.py``).

Both servers run from PostgreSQL's own binaries (``initdb``, ``pg_basebackup -R``,
``pg_ctl``) in a temporary directory, listen on free loopback ports only and trust
connections from 127.0.0.1 only. When the tests run as root the servers run as the
``postgres`` OS user. The system PostgreSQL on port 5432 is never touched.

    with streaming_pair() as pair:
        generator.build(pair.primary_url, 0.002)
        pair.wait_for_replay()
        ...  # pair.standby_url is a read-only hot standby of pair.primary_url
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BIN = Path(os.environ.get("PRAKERJA_PG_BIN", "/usr/lib/postgresql/15/bin"))
"""Where initdb, pg_ctl and pg_basebackup live (override with PRAKERJA_PG_BIN)."""

SERVER_USER = "postgres"
"""The OS user the servers run as when the tests run as root (PostgreSQL refuses root)."""

DATABASE = "prakerja"
WAIT_SECONDS = 30.0

SERVER_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '128MB'
hot_standby = on
wal_receiver_status_interval = '1s'
wal_retrieve_retry_interval = '500ms'
max_connections = 40
shared_buffers = '32MB'
fsync = off
full_page_writes = off
synchronous_commit = off
log_min_messages = warning
"""
"""Appended to postgresql.conf. fsync and full-page writes are off: throwaway test data."""

HBA = """\
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""
"""Trust on the loopback address only; no Unix-socket or remote access."""


class StandbyError(RuntimeError):
    """The primary/standby pair could not be set up (the message includes the server log)."""


def binaries_available() -> bool:
    """Whether this machine can run the pair (the PostgreSQL binaries and, as root, the
    ``postgres`` OS user)."""
    needed = ("initdb", "pg_ctl", "pg_basebackup")
    if not all((PG_BIN / name).exists() for name in needed):
        return False
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return False
    return True


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], cwd: Path, timeout: float = 60) -> None:
    """Run a PostgreSQL binary, as the ``postgres`` OS user when we are root."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", SERVER_USER, "--", *args]
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise StandbyError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVER_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _wait(condition, what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except psycopg.Error as error:
            last_error = error
        time.sleep(0.05)
    raise StandbyError(f"timed out after {timeout:.0f} s waiting for {what} ({last_error})")


@dataclass
class Server:
    """One PostgreSQL server (primary or standby) in its own data directory."""

    name: str
    data_dir: Path
    port: int
    base: Path

    @property
    def log_file(self) -> Path:
        return self.base / f"{self.name}.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def start(self) -> None:
        try:
            _run(
                [
                    str(PG_BIN / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                ],
                cwd=self.base,
                timeout=90,
            )
        except StandbyError as error:
            raise StandbyError(f"{error}\n--- {self.name} log ---\n{self.log()}") from error

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            _run(
                [
                    str(PG_BIN / "pg_ctl"),
                    "stop",
                    "-w",
                    "-t",
                    "60",
                    "-m",
                    mode,
                    "-D",
                    str(self.data_dir),
                ],
                cwd=self.base,
                timeout=90,
            )

    def query(self, sql: str, params: tuple = (), database: str = "postgres") -> tuple | None:
        """One row of ``sql`` on this server, None for a command (autocommit, short connect
        timeout)."""
        with psycopg.connect(self.conninfo(database), autocommit=True, connect_timeout=2) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchone() if cursor.description else None

    def row(self, sql: str, params: tuple = (), database: str = "postgres") -> tuple:
        """The one row a query returns (``query`` also runs commands, which return none)."""
        result = self.query(sql, params, database)
        assert result is not None, f"no row from {sql}"
        return result

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"


@dataclass
class StreamingPair:
    """A primary and a hot standby streaming from it (``pg_basebackup -R``)."""

    base: Path
    primary: Server
    standby: Server

    @property
    def primary_url(self) -> str:
        return self.primary.url()

    @property
    def standby_url(self) -> str:
        return self.standby.url()

    def stop_standby(self) -> None:
        self.standby.stop()

    def start_standby(self) -> None:
        """Start the standby again and wait until it streams from the primary (if that runs)."""
        self.standby.start()
        if self.primary.running():
            self.wait_streaming()

    def stop_primary(self) -> None:
        self.primary.stop()

    def start_primary(self) -> None:
        self.primary.start()
        if self.standby.running():
            self.wait_streaming()

    def ensure_running(self) -> None:
        """Both servers up and streaming again (after a test that stopped one of them)."""
        if not self.primary.running():
            self.primary.start()
        if not self.standby.running():
            self.standby.start()
        self.wait_streaming()

    def wait_streaming(self, timeout: float = WAIT_SECONDS) -> None:
        """Until the standby's WAL receiver streams from the primary."""
        _wait(
            lambda: self.standby.query("SELECT status FROM pg_stat_wal_receiver") == ("streaming",),
            "the standby to stream from the primary",
            timeout,
        )

    def wait_for_replay(self, timeout: float = WAIT_SECONDS) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        (target,) = self.primary.row("SELECT pg_current_wal_lsn()::text")
        _wait(
            lambda: (
                self.standby.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))
                == (True,)
            ),
            f"the standby to replay up to {target}",
            timeout,
        )


def _initdb(pair_base: Path, server: Server) -> None:
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(server.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        cwd=pair_base,
    )
    with (server.data_dir / "postgresql.conf").open("a") as conf:
        conf.write(SERVER_SETTINGS.format(port=server.port, sockets=pair_base))
    (server.data_dir / "pg_hba.conf").write_text(HBA)


def _base_backup(pair_base: Path, primary: Server, standby: Server) -> None:
    _run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data_dir),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        ],
        cwd=pair_base,
    )
    with (standby.data_dir / "postgresql.conf").open("a") as conf:
        conf.write(f"port = {standby.port}\n")


@contextlib.contextmanager
def streaming_pair() -> Iterator[StreamingPair]:
    """Start a primary and a streaming hot standby; stop both and delete them at the end,
    also when setting up or the body fails."""
    base = Path(tempfile.mkdtemp(prefix="prakerja-standby-"))
    _chown_to_server_user(base)
    primary = Server("primary", base / "primary", free_port(), base)
    standby = Server("standby", base / "standby", free_port(), base)
    pair = StreamingPair(base, primary, standby)
    try:
        _initdb(base, primary)
        primary.start()
        _base_backup(base, primary, standby)
        standby.start()
        pair.wait_streaming()
        yield pair
    finally:
        for server in (standby, primary):
            with contextlib.suppress(StandbyError, subprocess.TimeoutExpired):
                server.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
