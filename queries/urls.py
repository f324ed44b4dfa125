"""Replica URL helpers shared by the refresh (reading) and the synthetic generator (writing).

SQLAlchemy, libpq and psycopg each spell a PostgreSQL URL differently; these functions turn
one form into the others, so every caller connects to the same place.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise ValueError("URL SQLite harus menyebut berkas, misalnya sqlite:///replika.sqlite")
    return Path(database)


def normalize_url(url: str) -> str:
    """libpq's multi-host form ``postgresql://user@h1:p1,h2:p2/db`` as SQLAlchemy's
    ``postgresql://user@/db?host=h1:p1&host=h2:p2`` (SQLAlchemy cannot parse the former);
    every other URL is returned unchanged."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    userinfo, at, hosts = rest[:end].rpartition("@")
    if "," not in hosts:
        return url
    path, _, query = rest[end:].partition("?")
    params = "&".join(f"host={quote(host, safe='')}" for host in hosts.split(","))
    return f"{scheme}://{userinfo}{at}{path or '/'}?{params}{'&' + query if query else ''}"


def _host_and_port(entry: str) -> tuple[str, str]:
    host, colon, port = entry.rpartition(":")
    return (host, port) if colon and port.isdigit() else (entry, "")


def libpq_conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL URL (psycopg does not take the +driver).

    Hosts given as ``?host=h1:p1&host=h2:p2`` (or libpq's ``h1:p1,h2:p2``) become libpq's
    ``host=h1,h2 port=p1,p2``: libpq tries them in order (``target_session_attrs`` applies).
    """
    parsed = make_url(normalize_url(url)).set(drivername="postgresql")
    hosts = parsed.query.get("host")
    if hosts is None:
        return parsed.render_as_string(hide_password=False)
    entries = (hosts,) if isinstance(hosts, str) else hosts
    names, ports = zip(*map(_host_and_port, entries), strict=True)
    options = {
        key: value if isinstance(value, str) else value[-1]
        for key, value in parsed.query.items()
        if key != "host"
    }
    return make_conninfo(
        "",
        **{
            **options,
            "host": ",".join(names),
            "port": ",".join(ports) if any(ports) else parsed.port,
            "user": parsed.username,
            "password": parsed.password,
            "dbname": parsed.database,
        },
    )


def sqlalchemy_url(url: str) -> str:
    """Make ``postgresql://`` URLs use psycopg 3 (SQLAlchemy's default driver is psycopg2)."""
    parsed = make_url(normalize_url(url))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)
