"""Data-side settings, declared once with their help text (the README lists them all).

Each setting is read from an environment variable; the replica URL may also come from
``[connections.replica] url`` in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Setting:
    """One configurable value: its environment variable, default and meaning (in English for
    the README, in Bahasa Indonesia for the Tentang Data screen)."""

    env: str
    default: str
    help: str
    bahasa: str

    def get(self) -> str:
        return os.environ.get(self.env, "").strip() or self.default


REPLICA_URL = Setting(
    "PRAKERJA_REPLICA_URL",
    "",
    "SQLAlchemy URL of the read-only replica (postgresql+psycopg://user@host/db). Empty: the "
    "synthetic demo replica is built and used.",
    "URL SQLAlchemy replika hanya-baca (postgresql+psycopg://pengguna@host/db). Kosong: "
    "replika demo sintetis dibangun dan dipakai.",
)
DATA_DIR = Setting(
    "PRAKERJA_DATA_DIR",
    platformdirs.user_data_dir("pantau-prakerja"),
    "Where the demo replica and the analytics store live.",
    "Folder tempat replika demo dan penyimpanan analitik.",
)
DEMO_SCALE = Setting(
    "PRAKERJA_DEMO_SCALE",
    "0.05",
    "Scale of the synthetic demo replica (1.0 = 15.9 million registrants).",
    "Skala replika demo sintetis (1,0 = 15,9 juta pendaftar).",
)
REFRESH_MINUTES = Setting(
    "PRAKERJA_REFRESH_MINUTES",
    "15",
    "How often the app refreshes the analytics store from the replica (0 = never).",
    "Seberapa sering aplikasi memperbarui penyimpanan analitik dari replika, dalam menit "
    "(0 = tidak pernah).",
)
STATEMENT_TIMEOUT_MS = Setting(
    "PRAKERJA_STATEMENT_TIMEOUT_MS",
    "600000",
    "statement_timeout of the refresh job's read-only replica sessions, in ms.",
    "Batas waktu satu perintah SQL (statement_timeout) pada sesi hanya-baca penyegaran ke "
    "replika, dalam milidetik.",
)

ACCEPT_WRITABLE_REPLICA = Setting(
    "PRAKERJA_ACCEPT_WRITABLE_REPLICA",
    "0",
    "1 = accept a replica role that could write (every screen then warns). By default the "
    "refresh refuses a role with INSERT, UPDATE, DELETE or CREATE privileges.",
    "1 = terima peran replika yang dapat menulis (setiap layar lalu memperingatkan). "
    "Bawaannya penyegaran menolak peran dengan hak INSERT, UPDATE, DELETE atau CREATE.",
)

ALL_SETTINGS = (
    REPLICA_URL,
    DATA_DIR,
    DEMO_SCALE,
    REFRESH_MINUTES,
    STATEMENT_TIMEOUT_MS,
    ACCEPT_WRITABLE_REPLICA,
)


class ConfigError(ValueError):
    """Malformed configuration; the message is shown to users in Bahasa Indonesia."""


def number_setting(setting: Setting, *, minimum: float, maximum: float, example: str) -> float:
    """The setting as a number in [minimum, maximum], or one clear :class:`ConfigError`."""
    raw = setting.get()
    try:
        value = float(raw)
    except ValueError as error:
        raise ConfigError(
            f"{setting.env}={raw[:20]!r} bukan angka; contoh yang benar: {example}."
        ) from error
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"{setting.env}={raw[:20]} di luar rentang {minimum:g}–{maximum:g}; contoh: {example}."
        )
    return value


def statement_timeout_ms() -> int:
    """statement_timeout of replica sessions: a positive whole number of milliseconds."""
    return int(
        number_setting(STATEMENT_TIMEOUT_MS, minimum=1, maximum=86_400_000, example="600000")
    )


def refresh_minutes() -> float:
    """Minutes between automatic refreshes (0 = never)."""
    return number_setting(REFRESH_MINUTES, minimum=0, maximum=10_080, example="15")


def accepts_writable_replica() -> bool:
    """True when the operator explicitly accepted a replica role that could write."""
    raw = ACCEPT_WRITABLE_REPLICA.get().lower()
    if raw not in ("0", "1", "true", "false", "ya", "tidak"):
        raise ConfigError(f"{ACCEPT_WRITABLE_REPLICA.env} harus 0 atau 1, bukan {raw[:20]!r}.")
    return raw in ("1", "true", "ya")


def check_all() -> None:
    """Read every data-side setting once, so a malformed one fails at start with its own
    message, not later as a misleading error (a bad timeout is not an unreachable replica)."""
    demo_scale()
    statement_timeout_ms()
    refresh_minutes()
    accepts_writable_replica()
    replica_url()


def data_dir() -> Path:
    path = Path(DATA_DIR.get()).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_scale() -> float:
    scale = number_setting(DEMO_SCALE, minimum=0, maximum=2, example="0.05")
    if scale == 0:
        raise ConfigError(f"{DEMO_SCALE.env} harus lebih dari 0; contoh: 0.05.")
    return scale


def replica_url(secrets_file: Path = Path(".streamlit/secrets.toml")) -> str:
    """The configured replica URL: environment first, then secrets.toml; empty for demo.

    A URL that is not a SQLite or PostgreSQL URL raises :class:`ConfigError` at once, so a
    typo gives one clear message instead of a failure deep inside a refresh."""
    url = REPLICA_URL.get()
    if not url and secrets_file.exists():
        try:
            secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"Berkas {secrets_file} tidak dapat dibaca: {error}") from error
        url = str(secrets.get("connections", {}).get("replica", {}).get("url", "")).strip()
    if url:
        _check_url(url)
    return url


def _check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from queries.urls import normalize_url

    try:
        backend = make_url(normalize_url(url)).get_backend_name()
    except (ArgumentError, ValueError) as error:
        raise ConfigError(
            f"URL replika tidak valid ({url[:40]!r}). Contoh: "
            "postgresql+psycopg://pengguna@host:5432/prakerja"
        ) from error
    if backend not in ("postgresql", "sqlite"):
        raise ConfigError(f"Replika harus PostgreSQL atau SQLite, bukan {backend}.")


def demo_replica_url() -> str:
    """The embedded default: a synthetic SQLite replica in the data directory."""
    return f"sqlite:///{data_dir() / f'demo-replica-{demo_scale():g}.sqlite'}"
