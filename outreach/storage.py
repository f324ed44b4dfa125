"""The application database that holds the agenda: SQLite in the data directory by default,
PostgreSQL in production (``PRAKERJA_APP_DB_URL``). Schema changes are Alembic migrations
(``outreach/migrations``), applied when the agenda is opened.

Every write checks the editor's scope, runs in one transaction with its audit row (who, when,
before, after) and uses optimistic concurrency: an edit names the version it started from,
and if someone saved in between the edit is refused with :class:`ConflictError` instead of
silently overwriting their work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
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
    func,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from geo.regions import NATION_CODE, region_name
from outreach.events import MAX_NOTE, MAX_ORGANISER, Event, EventInput, cleaned
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

metadata = MetaData()
events_table = Table(
    "outreach_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("regency_code", String(4), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target_group", String(20), nullable=False),
    Column("organiser", String(MAX_ORGANISER), nullable=False),
    Column("note", String(MAX_NOTE), nullable=False),
    Column("version", Integer, nullable=False),
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
)
"""The tables as the latest migration leaves them (the migrations themselves are frozen)."""


class AgendaUnavailableError(RuntimeError):
    """The application database cannot be reached; the agenda is read-only meanwhile."""


class ConflictError(RuntimeError):
    """Someone else saved (or deleted) the event after this editor opened it."""

    def __init__(self, message: str, current: Event | None) -> None:
        super().__init__(message)
        self.current = current


class ScopeError(PermissionError):
    """The editor's scope does not cover the event's regency."""


@dataclass(frozen=True)
class Editor:
    """Who writes, and the region their ``[access.users]`` scope covers (``ID``, a province
    or a regency code)."""

    who: str
    scope: str

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
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return create_engine(parsed, connect_args={"timeout": 10})
    return create_engine(
        parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )


def _unavailable(error: Exception) -> AgendaUnavailableError:
    reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:160]
    return AgendaUnavailableError(
        f"Basis data agenda tidak dapat dijangkau ({reason}). Agenda hanya dapat dibaca "
        "sampai sambungan pulih."
    )


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

    def migrate(self) -> Agenda:
        """Bring the schema to the latest migration (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except UNREACHABLE as error:
            raise _unavailable(error) from error
        return self

    # --- reading --------------------------------------------------------------------------

    def events(
        self,
        region: str = NATION_CODE,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> list[Event]:
        """Events in a region (``ID``, a province or a regency) overlapping the period,
        earliest first."""
        query = select(events_table).order_by(events_table.c.start_date, events_table.c.id)
        if region != NATION_CODE:
            column = (
                events_table.c.province_code if len(region) == 2 else events_table.c.regency_code
            )
            query = query.where(column == region)
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

    def audit(self, event_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """Latest audit entries first (for one event, or all)."""
        query = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
        if event_id is not None:
            query = query.where(audit_table.c.event_id == event_id)
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
        rows = [cleaned(item) for item in items]
        for row in rows:
            editor.check(row.regency_code)
        with self._begin() as connection:
            return [self._insert(connection, editor, row) for row in rows]

    def update(self, editor: Editor, event_id: int, version: int, data: EventInput) -> Event:
        """Save an edit made to ``version`` of the event; :class:`ConflictError` if the
        stored event has moved on since."""
        data = cleaned(data)
        editor.check(data.regency_code)
        with self._begin() as connection:
            before = self._current(connection, editor, event_id, version)
            now = _now()
            connection.execute(
                events_table.update()
                .where(events_table.c.id == event_id)
                .values(
                    **data.as_dict(),
                    province_code=data.regency_code[:2],
                    version=version + 1,
                    updated_by=editor.who,
                    updated_at=now,
                )
            )
            after = self._get(connection, event_id)
            assert after is not None  # updated just now, in this transaction
            self._log(connection, editor, "update", before, after, now)
            return after

    def delete(self, editor: Editor, event_id: int, version: int) -> None:
        with self._begin() as connection:
            before = self._current(connection, editor, event_id, version)
            connection.execute(events_table.delete().where(events_table.c.id == event_id))
            self._log(connection, editor, "delete", before, None, _now())

    # --- internals ------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection for reading; a lost database becomes :class:`AgendaUnavailableError`."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except UNREACHABLE as error:
            raise _unavailable(error) from error

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except UNREACHABLE as error:
            raise _unavailable(error) from error

    @staticmethod
    def _get(connection: Connection, event_id: int) -> Event | None:
        row = connection.execute(
            select(events_table).where(events_table.c.id == event_id)
        ).one_or_none()
        return None if row is None else _event(row)

    def _current(
        self, connection: Connection, editor: Editor, event_id: int, version: int
    ) -> Event:
        """Claim the stored event for this transaction if it is still at ``version``.

        The claim is a conditional no-op UPDATE, so it takes the write lock first (a row lock
        in PostgreSQL, the database lock in SQLite): a second editor of the same version
        waits, then finds the version moved on."""
        claimed = connection.execute(
            events_table.update()
            .where(events_table.c.id == event_id, events_table.c.version == version)
            .values(version=version)
        ).rowcount
        current = self._get(connection, event_id)
        if current is None:
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
                created_by=editor.who,
                created_at=now,
                updated_by=editor.who,
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
        connection.execute(
            audit_table.insert().values(
                event_id=(after or before).id,  # type: ignore[union-attr]  # one is always set
                action=action,
                actor=editor.who,
                at=at,
                before=_snapshot(before),
                after=_snapshot(after),
            )
        )

    def seed_demo(self, today: date) -> int:
        """Fill an empty agenda with the synthetic agenda that matches the demo replica's
        planted effects; returns how many events were added."""
        from synthetic.planted import agenda_rows  # the demo's truth lives with the generator

        if self.events():
            return 0
        rows = [EventInput(**row) for row in agenda_rows(today)]
        return len(self.create_many(DEMO_EDITOR, rows))

    def dispose(self) -> None:
        self.engine.dispose()
