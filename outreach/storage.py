"""The application database that holds the agenda: SQLite in the data directory by default,
PostgreSQL in production (``PRAKERJA_APP_DB_URL``). Schema changes are Alembic migrations
(``outreach/migrations``), applied when the agenda is opened.

Every write checks the editor's scope, runs in one transaction with its audit row (who, when,
before, after) and uses optimistic concurrency: an edit names the event it opened (id, a
random identity ``uid`` and the version), and if someone saved or deleted it in between the
edit is refused with :class:`ConflictError` instead of silently overwriting their work. Ids
are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL), and the audit table only
takes inserts (a trigger on both).

Migration and the demo seed run once, under a lock (``BEGIN IMMEDIATE`` on SQLite, an
advisory lock on PostgreSQL), so two processes opening a fresh database do not race. Every
way the database can fail (unreachable, a bad URL, an unknown or missing schema, a read-only
or vanished SQLite file) becomes :class:`AgendaUnavailableError` with a Bahasa reason: the
screens then show the last list read-only, the command line prints one line.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from geo.regions import NATION_CODE, region_name
from outreach.events import MAX_NOTE, MAX_ORGANISER, Event, EventError, EventInput, cleaned
from queries.settings import Setting, data_dir
from queries.urls import normalize_url

APP_DB_URL = Setting(
    "PRAKERJA_APP_DB_URL",
    "",
    "SQLAlchemy URL of the application database holding the agenda sosialisasi "
    "(postgresql+psycopg://user@host/db). Empty: agenda.sqlite in the data directory.",
    "URL SQLAlchemy basis data aplikasi yang menyimpan agenda sosialisasi "
    "(postgresql+psycopg://pengguna@host/db). Kosong: agenda.sqlite di folder data.",
)
SETTINGS = (APP_DB_URL,)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "outreach_alembic_version"
CONNECT_TIMEOUT_S = 3
UNREACHABLE = (OperationalError, InterfaceError)
"""Driver errors that mean "the database is not there" (not a bad statement)."""
BACKENDS = ("sqlite", "postgresql")
MAX_ACTOR = 254
MIGRATION_LOCK = 7_302_011_915
"""PostgreSQL advisory lock key held while migrating and seeding (any fixed number)."""
READ_ONLY = " Agenda hanya dapat dibaca sampai masalah ini diperbaiki."

metadata = MetaData()
events_table = Table(
    "outreach_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("regency_code", String(4), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("district_code", String(6), nullable=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target_group", String(20), nullable=False),
    Column("organiser", String(MAX_ORGANISER), nullable=False),
    Column("note", String(MAX_NOTE), nullable=False),
    Column("version", Integer, nullable=False),
    Column("uid", String(32), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(254), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
audit_table = Table(
    "outreach_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False),
    Column("action", String(10), nullable=False),
    Column("actor", String(254), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("regency_code", String(4), nullable=False),
)
"""The tables as the latest migration leaves them (the migrations themselves are frozen)."""


class AgendaUnavailableError(RuntimeError):
    """The application database cannot be reached; the agenda is read-only meanwhile."""


class ConflictError(RuntimeError):
    """Someone else saved (or deleted) the event after this editor opened it; ``current``
    is the stored version, None when the event is gone."""

    def __init__(self, message: str, current: Event | None) -> None:
        super().__init__(message)
        self.current = current

    @property
    def deleted(self) -> bool:
        return self.current is None


class ScopeError(PermissionError):
    """The editor's scope does not cover the event's regency."""


@dataclass(frozen=True)
class Editor:
    """Who writes, and the region their ``[access.users]`` scope covers (``ID``, a province
    or a regency code)."""

    who: str
    scope: str

    def check_actor(self) -> None:
        """Every audit row names who wrote it: an empty or over-long name is refused."""
        who = self.who.strip()
        if not who:
            raise EventError({"actor": "Nama atau e-mail penulis wajib diisi."})
        if len(who) > MAX_ACTOR:
            raise EventError(
                {
                    "actor": f"Nama atau e-mail penulis terlalu panjang ({len(who)} karakter, "
                    f"paling banyak {MAX_ACTOR})."
                }
            )

    def may_edit(self, regency_code: str) -> bool:
        return self.scope == NATION_CODE or regency_code.startswith(self.scope)

    def check(self, regency_code: str) -> None:
        if not self.may_edit(regency_code):
            scope = "nasional" if self.scope == NATION_CODE else region_name(self.scope)
            raise ScopeError(
                f"Akses Anda ({scope}) tidak mencakup {region_name(regency_code)}: "
                "kegiatan ini tidak dapat diubah."
            )


DEMO_EDITOR = Editor("data sintetis (demo)", NATION_CODE)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    event_id: int
    action: str
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def default_url() -> str:
    """The configured application database, or the SQLite file in the data directory."""
    return APP_DB_URL.get() or f"sqlite:///{data_dir() / 'agenda.sqlite'}"


def _engine(url: str) -> Engine:
    """The engine, or :class:`AgendaUnavailableError` for a URL that is no SQLite or
    PostgreSQL URL (the URL itself is never repeated: it may hold a password)."""
    try:
        parsed = make_url(normalize_url(url))
        if parsed.get_backend_name() not in BACKENDS:
            raise ValueError(parsed.get_backend_name())
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(create_engine(parsed, connect_args={"timeout": 10}))
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
    except (SQLAlchemyError, ValueError, ImportError) as error:
        raise AgendaUnavailableError(
            "PRAKERJA_APP_DB_URL bukan alamat basis data yang dapat dipakai (gunakan "
            "postgresql+psycopg://… atau sqlite:///…)." + READ_ONLY
        ) from error


def _sqlite_engine(engine: Engine) -> Engine:
    """SQLite with real transactions: pysqlite's own handling starts none before DDL, so a
    migration could interleave with another process's. Every transaction here starts with
    ``BEGIN``, and a write's with ``BEGIN IMMEDIATE`` (the database's write lock at once;
    SQLAlchemy's documented recipe)."""

    @event.listens_for(engine, "connect")
    def _manual(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get("agenda_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _unavailable(error: Exception) -> AgendaUnavailableError:
    """The database failed: say why in Bahasa (the driver's words only for an unreachable
    server, where they name the host or the network problem)."""
    reason = str(getattr(error, "orig", error)).strip()
    first = reason.splitlines()[0][:160] if reason else type(error).__name__
    if "readonly database" in reason or "read-only" in reason:
        cause = "Basis data agenda hanya dapat dibaca (berkasnya tidak dapat ditulis)."
    elif "no such table" in reason or getattr(getattr(error, "orig", None), "sqlstate", "") in (
        "42P01",
        "42703",
    ):
        cause = "Tabel agenda tidak ditemukan di basis data (dibuat ulang atau dikosongkan?)."
    elif isinstance(error, (*UNREACHABLE, sqlite3.OperationalError)):
        return AgendaUnavailableError(
            f"Basis data agenda tidak dapat dijangkau ({first}). Agenda hanya dapat dibaca "
            "sampai sambungan pulih."
        )
    else:
        cause = "Basis data agenda menolak permintaan (skemanya tidak sesuai dengan aplikasi)."
    return AgendaUnavailableError(cause + READ_ONLY)


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _event(row: Any) -> Event:
    values = dict(row._mapping)
    values.pop("province_code")
    values["created_at"] = _as_utc(values["created_at"])
    values["updated_at"] = _as_utc(values["updated_at"])
    return Event(**values)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def _snapshot(event: Event | None) -> str | None:
    """The audit form of an event: its fields and version, dates as ISO text."""
    if event is None:
        return None
    fields = {**event.fields().as_dict(), "version": event.version}
    return json.dumps(fields, default=str, ensure_ascii=False, sort_keys=True)


class Agenda:
    """The agenda in one application database. Thread-safe (a pooled engine)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = _engine(self.url)

    # --- schema ---------------------------------------------------------------------------

    def migrate(self, demo_day: date | None = None) -> Agenda:
        """Bring the schema to the latest migration (idempotent) and, with ``demo_day``,
        seed the demo agenda into a database nobody has written to yet: both at most once,
        under a lock another process opening the same database waits for."""
        with self._locked() as connection:
            _upgrade(connection)
            if demo_day is not None:
                self._seed(connection, demo_day)
        return self

    def seed_demo(self, today: date) -> int:
        """Fill an agenda nobody has written to with the synthetic agenda that matches the
        demo replica's planted effects; returns how many events were added."""
        with self._locked() as connection:
            return self._seed(connection, today)

    def check_writable(self) -> None:
        """:class:`AgendaUnavailableError` when a save would fail for a reason a reader does
        not notice: the SQLite file was deleted (open connections still read the old one)
        or cannot be written (also when that happened after the pool opened it)."""
        path = _sqlite_file(self.url)
        if path is None:
            return
        if not path.exists():
            raise AgendaUnavailableError(
                f"Berkas basis data agenda ({path.name}) tidak ada lagi." + READ_ONLY
            )
        _probe_write(path)

    # --- reading --------------------------------------------------------------------------

    def events(
        self,
        region: str = NATION_CODE,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> list[Event]:
        """Events in a region (``ID``, a province or a regency; a kecamatan's are its
        regency's) overlapping the period, earliest first."""
        query = select(events_table).order_by(events_table.c.start_date, events_table.c.id)
        if region != NATION_CODE:
            column = (
                events_table.c.province_code if len(region) == 2 else events_table.c.regency_code
            )
            query = query.where(column == region[:4])
        if date_from is not None:
            query = query.where(events_table.c.end_date >= date_from)
        if date_to is not None:
            query = query.where(events_table.c.start_date <= date_to)
        with self._connect() as connection:
            return [_event(row) for row in connection.execute(query)]

    def get(self, event_id: int) -> Event | None:
        with self._connect() as connection:
            return self._get(connection, event_id)

    def last_event_dates(self, province: str, today: date) -> dict[str, date]:
        """Per regency of the province: the start of its latest event that has begun."""
        query = (
            select(events_table.c.regency_code, func.max(events_table.c.start_date))
            .where(events_table.c.province_code == province)
            .where(events_table.c.start_date <= today)
            .group_by(events_table.c.regency_code)
        )
        with self._connect() as connection:
            return {code: day for code, day in connection.execute(query)}

    def audit(
        self, event_id: int | None = None, limit: int = 200, scope: str = NATION_CODE
    ) -> list[AuditEntry]:
        """Latest audit entries first (for one event, or all), only those about regencies
        in ``scope``: filtered before the limit, so writes elsewhere cannot crowd them out."""
        query = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
        if event_id is not None:
            query = query.where(audit_table.c.event_id == event_id)
        if scope != NATION_CODE:
            query = query.where(audit_table.c.regency_code.startswith(scope, autoescape=True))
        with self._connect() as connection:
            return [
                AuditEntry(
                    row.id,
                    row.event_id,
                    row.action,
                    row.actor,
                    _as_utc(row.at),
                    json.loads(row.before) if row.before else None,
                    json.loads(row.after) if row.after else None,
                )
                for row in connection.execute(query)
            ]

    # --- writing --------------------------------------------------------------------------

    def create(self, editor: Editor, data: EventInput) -> Event:
        return self.create_many(editor, [data])[0]

    def create_many(self, editor: Editor, items: Iterable[EventInput]) -> list[Event]:
        """All events in one transaction: every one is saved, or none (e.g. an import)."""
        editor.check_actor()
        rows = [cleaned(item) for item in items]
        for row in rows:
            editor.check(row.regency_code)
        with self._begin() as connection:
            return [self._insert(connection, editor, row) for row in rows]

    def update(self, editor: Editor, opened: Event, data: EventInput) -> Event:
        """Save an edit made to the event as it was ``opened`` (its id, identity and
        version); :class:`ConflictError` if the stored event has moved on or is gone."""
        editor.check_actor()
        data = cleaned(data)
        editor.check(data.regency_code)
        with self._begin() as connection:
            before = self._current(connection, editor, opened)
            now = _now()
            connection.execute(
                events_table.update()
                .where(events_table.c.id == opened.id)
                .values(
                    **data.as_dict(),
                    province_code=data.regency_code[:2],
                    version=opened.version + 1,
                    updated_by=editor.who.strip(),
                    updated_at=now,
                )
            )
            after = self._get(connection, opened.id)
            assert after is not None  # updated just now, in this transaction
            self._log(connection, editor, "update", before, after, now)
            return after

    def delete(self, editor: Editor, opened: Event) -> None:
        """Delete the event as it was ``opened``; :class:`ConflictError` as for an edit."""
        editor.check_actor()
        with self._begin() as connection:
            before = self._current(connection, editor, opened)
            connection.execute(events_table.delete().where(events_table.c.id == opened.id))
            self._log(connection, editor, "delete", before, None, _now())

    # --- internals ------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection for reading; a failing database becomes
        :class:`AgendaUnavailableError`."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except DBAPIError as error:
            raise _unavailable(error) from error

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any error. A
        broken constraint is the caller's answer (a delivery already claimed), not a broken
        database: it propagates as :class:`IntegrityError`."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(agenda_write=True)
                with connection.begin():
                    yield connection
        except IntegrityError:
            raise
        except DBAPIError as error:
            raise _unavailable(error) from error

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        """A write transaction that also holds the migration lock (PostgreSQL's advisory
        lock; SQLite's ``BEGIN IMMEDIATE`` already excludes every other writer)."""
        with self._begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            yield connection

    @staticmethod
    def _get(connection: Connection, event_id: int) -> Event | None:
        row = connection.execute(
            select(events_table).where(events_table.c.id == event_id)
        ).one_or_none()
        return None if row is None else _event(row)

    def _current(self, connection: Connection, editor: Editor, opened: Event) -> Event:
        """Claim the stored event for this transaction if it is still the one ``opened``
        (same id and identity) at the same version.

        The claim is a conditional no-op UPDATE, so it takes the write lock first (a row lock
        in PostgreSQL, the database lock in SQLite): a second editor of the same version
        waits, then finds the version moved on."""
        claimed = connection.execute(
            events_table.update()
            .where(
                events_table.c.id == opened.id,
                events_table.c.uid == opened.uid,
                events_table.c.version == opened.version,
            )
            .values(version=opened.version)
        ).rowcount
        current = self._get(connection, opened.id)
        if current is None or current.uid != opened.uid:
            raise ConflictError(
                "Kegiatan ini sudah dihapus orang lain. Perubahan Anda belum disimpan.", None
            )
        if not claimed:
            raise ConflictError(
                f"Kegiatan ini sudah diubah oleh {current.updated_by} pada "
                f"{current.updated_at:%d-%m-%Y %H.%M} UTC setelah Anda membukanya. Perubahan "
                "Anda belum disimpan: periksa versi terbaru, lalu simpan lagi.",
                current,
            )
        editor.check(current.regency_code)
        return current

    def _insert(self, connection: Connection, editor: Editor, data: EventInput) -> Event:
        now = _now()
        inserted = connection.execute(
            events_table.insert().values(
                **data.as_dict(),
                province_code=data.regency_code[:2],
                version=1,
                uid=uuid.uuid4().hex,
                created_by=editor.who.strip(),
                created_at=now,
                updated_by=editor.who.strip(),
                updated_at=now,
            )
        ).inserted_primary_key
        assert inserted is not None  # an INSERT of one row always has its key
        event = self._get(connection, inserted[0])
        assert event is not None  # inserted just now, in this transaction
        self._log(connection, editor, "create", None, event, now)
        return event

    @staticmethod
    def _log(
        connection: Connection,
        editor: Editor,
        action: str,
        before: Event | None,
        after: Event | None,
        at: datetime,
    ) -> None:
        about = after or before
        assert about is not None  # a create has an after, a delete a before
        connection.execute(
            audit_table.insert().values(
                event_id=about.id,
                action=action,
                actor=editor.who.strip(),
                at=at,
                before=_snapshot(before),
                after=_snapshot(after),
                regency_code=about.regency_code,
            )
        )

    def _seed(self, connection: Connection, today: date) -> int:
        """The demo agenda, into a database with no audit entry yet (so events the users
        deleted are not seeded again); inside the caller's locked transaction."""
        from synthetic.planted import agenda_rows  # the demo's truth lives with the generator

        if connection.execute(select(audit_table.c.id).limit(1)).first() is not None:
            return 0
        rows = [cleaned(EventInput(**row)) for row in agenda_rows(today)]
        return len([self._insert(connection, DEMO_EDITOR, row) for row in rows])

    def dispose(self) -> None:
        self.engine.dispose()


def _probe_write(path: Path) -> None:
    """A no-op write, rolled back, on a fresh connection to the existing file: a read-only
    file refuses it at once (a pooled connection opened earlier would only fail at commit),
    and nothing is synced to disk (1 ms, where a committed write cost 18 ms)."""
    try:
        probe = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw",  # never creates the file
            uri=True,
            timeout=10,
            isolation_level=None,
        )
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute(f"UPDATE {VERSION_TABLE} SET version_num = version_num")
            probe.execute("ROLLBACK")
        finally:
            probe.close()
    except sqlite3.Error as error:
        raise _unavailable(error) from error


def _upgrade(connection: Connection) -> None:
    """Alembic's upgrade to head on the caller's (locked) transaction, after checking that
    the stored schema is one this code knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    _check_known_schema(connection, ScriptDirectory.from_config(config))
    try:
        command.upgrade(config, "head")
    except CommandError as error:
        raise AgendaUnavailableError(
            "Skema basis data agenda tidak dapat dinaikkan ke versi aplikasi ini." + READ_ONLY
        ) from error


def _check_known_schema(connection: Connection, scripts: ScriptDirectory) -> None:
    """Refuse a schema newer than this code (an unknown revision) or agenda tables without
    the version table (their schema cannot be told): migrating either would break it."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    for revision in context.get_current_heads():
        try:
            scripts.get_revision(revision)
        except CommandError as error:
            raise AgendaUnavailableError(
                f"Skema basis data agenda (revisi {revision[:12]}) lebih baru daripada "
                "aplikasi ini: perbarui aplikasinya." + READ_ONLY
            ) from error
    tables = set(inspect(connection).get_table_names())
    if not context.get_current_heads() and tables & {events_table.name, audit_table.name}:
        raise AgendaUnavailableError(
            f"Basis data agenda berisi tabel agenda tanpa tabel versi skema ({VERSION_TABLE}): "
            "skemanya tidak dikenali, jadi tidak diubah." + READ_ONLY
        )
