"""Subscriptions and their deliveries in the application database (beside the agenda).

The schema is Alembic migration ``0004`` in ``outreach/migrations``; the engine and the
migration run are the agenda's (:class:`outreach.storage.Agenda`), so both live in one
database with one version table. Every change of a subscription is written in one
transaction with its audit row (who, when, before, after).

A delivery is *claimed* before its message is sent: a row per (subscription, period) under a
unique constraint, inserted (or, for a failed one that is due again, taken by a conditional
UPDATE) in its own transaction. Only the runner whose INSERT or UPDATE succeeded sends, so
two runners at once never send one period twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from geo.regions import NATION_CODE, is_known, normalize_code, region_name
from outreach.storage import Agenda, Editor, _as_utc

FREQUENCIES = {"weekly": "mingguan", "monthly": "bulanan"}
FORMATS = {"pdf": "dek PDF", "html": "laporan HTML luring", "body": "angka di badan surel saja"}
WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)
LAST_RETRY = timedelta(hours=6)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

metadata = MetaData()
subscriptions_table = Table(
    "report_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("region_code", String(4), nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("weekday", Integer),
    Column("format", String(10), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(254), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("email", "region_code"),
)
audit_table = Table(
    "report_subscription_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, nullable=False),
    Column("action", String(10), nullable=False),
    Column("actor", String(254), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("before", Text),
    Column("after", Text),
)
deliveries_table = Table(
    "report_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, nullable=False),
    Column("period", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", String(500)),
    Column("claimed_by", String(120), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("data_as_of", String(40)),
    UniqueConstraint("subscription_id", "period"),
)
"""The tables as migration 0004 leaves them (the migration itself is frozen)."""


class SubscriptionError(ValueError):
    """A subscription that cannot be saved; the message is for the user, in Bahasa."""


@dataclass(frozen=True)
class SubscriptionInput:
    """What a subscriber chooses. ``weekday``: 0 = Monday … 6 = Sunday (weekly only)."""

    email: str
    region_code: str
    frequency: str = "weekly"
    weekday: int | None = 0
    format: str = "pdf"


@dataclass(frozen=True)
class Subscription(SubscriptionInput):
    """A stored subscription (the defaults only serve the dataclass order)."""

    id: int = 0
    active: bool = True
    created_by: str = ""
    created_at: datetime = EPOCH
    updated_by: str = ""
    updated_at: datetime = EPOCH

    def describe(self) -> str:
        """``mingguan, setiap senin · dek PDF`` for lists and the audit."""
        when = FREQUENCIES[self.frequency]
        if self.frequency == "weekly" and self.weekday is not None:
            when += f", setiap {WEEKDAYS[self.weekday]}"
        return f"{when} · {FORMATS[self.format]}"


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    period: str
    status: str  # sending, sent, failed
    attempts: int
    error: str | None
    claimed_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


def cleaned(data: SubscriptionInput, editor: Editor) -> SubscriptionInput:
    """The input normalised and checked, or :class:`SubscriptionError` with every problem
    (an unknown region, a region outside the editor's scope, a bad address or choice)."""
    email = data.email.strip().lower()
    raw = data.region_code.strip()
    code = NATION_CODE if raw.upper() == NATION_CODE else normalize_code(raw)
    problems = []
    if not EMAIL.match(email) or len(email) > 254:
        problems.append(f"alamat surel tidak valid ({data.email[:60]!r})")
    if not is_known(code):
        problems.append(f"kode wilayah tidak dikenal ({raw[:20]!r})")
    elif not editor.may_edit(code):
        problems.append(f"{region_name(code)} di luar akses Anda")
    elif data.format != "body" and not _may_receive_files(editor.scope, code):
        problems.append(
            f"dek dan laporan {region_name(code)} memuat kabupaten/kota lain di provinsinya: "
            "pilih format badan surel saja"
        )
    if data.frequency not in FREQUENCIES:
        problems.append(f"frekuensi harus {' atau '.join(FREQUENCIES)} ({data.frequency!r})")
    weekday = data.weekday if data.frequency == "weekly" else None
    if data.frequency == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        problems.append("hari pengiriman mingguan harus senin sampai minggu")
    if data.format not in FORMATS:
        problems.append(f"format harus {', '.join(FORMATS)} ({data.format!r})")
    if problems:
        text = "; ".join(problems)
        raise SubscriptionError(text[0].upper() + text[1:] + ".")
    return SubscriptionInput(email, code, data.frequency, weekday, data.format)


def _may_receive_files(scope: str, region: str) -> bool:
    """A deck or report of a region shows its province's regencies (the map, the priorities):
    the same rule as :meth:`dashboard.access.Scope.may_export_deck`."""
    return scope == NATION_CODE or region == NATION_CODE or scope == region[:2]


def _subscription(row: Any) -> Subscription:
    values = dict(row._mapping)
    values["created_at"] = _as_utc(values["created_at"])
    values["updated_at"] = _as_utc(values["updated_at"])
    return Subscription(**values)


def _delivery(row: Any) -> Delivery:
    values = {k: v for k, v in row._mapping.items() if k not in ("claimed_by", "data_as_of")}
    for key in ("claimed_at", "next_attempt_at", "sent_at"):
        values[key] = values[key] and _as_utc(values[key])
    return Delivery(**values)


def _snapshot(subscription: Subscription | None) -> str | None:
    if subscription is None:
        return None
    fields = asdict(subscription)
    for key in ("created_at", "updated_at", "created_by", "updated_by"):
        fields.pop(key)
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 5 min, 10, 20, … at most 6 h."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


class Subscriptions:
    """Subscriptions and deliveries in the application database (thread-safe)."""

    def __init__(self, url: str | None = None) -> None:
        self._agenda = Agenda(url)
        self.url = self._agenda.url
        self.engine = self._agenda.engine

    def migrate(self) -> Subscriptions:
        self._agenda.migrate()
        return self

    def dispose(self) -> None:
        self.engine.dispose()

    # --- subscriptions ----------------------------------------------------------------------

    def subscribe(self, editor: Editor, data: SubscriptionInput) -> Subscription:
        return self.subscribe_many(editor, [data])[0]

    def subscribe_many(
        self, editor: Editor, items: Iterable[SubscriptionInput]
    ) -> list[Subscription]:
        """Save every subscription in one transaction, or none. An address already
        subscribed to the region gets its choices updated and is active again."""
        rows = [cleaned(item, editor) for item in items]
        with self._begin() as connection:
            return [self._upsert(connection, editor, row) for row in rows]

    def set_active(self, actor: str, subscription_id: int, active: bool) -> Subscription | None:
        """Stop (or restart) a subscription; None when there is no such subscription."""
        with self._begin() as connection:
            before = self._get(connection, subscription_id)
            if before is None or before.active == active:
                return before
            connection.execute(
                subscriptions_table.update()
                .where(subscriptions_table.c.id == subscription_id)
                .values(active=active, updated_by=actor, updated_at=_now())
            )
            after = self._get(connection, subscription_id)
            self._log(connection, actor, "start" if active else "stop", before, after)
            return after

    def get(self, subscription_id: int) -> Subscription | None:
        with self._connect() as connection:
            return self._get(connection, subscription_id)

    def subscriptions(
        self, scope: str = NATION_CODE, active_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions to regions inside ``scope``, by region then address."""
        query = select(subscriptions_table).order_by(
            subscriptions_table.c.region_code, subscriptions_table.c.email
        )
        if scope != NATION_CODE:
            query = query.where(subscriptions_table.c.region_code.startswith(scope))
        if active_only:
            query = query.where(subscriptions_table.c.active.is_(True))
        with self._connect() as connection:
            return [_subscription(row) for row in connection.execute(query)]

    def audit(self, subscription_id: int | None = None) -> list[dict[str, Any]]:
        """Audit rows, latest first."""
        query = select(audit_table).order_by(audit_table.c.id.desc())
        if subscription_id is not None:
            query = query.where(audit_table.c.subscription_id == subscription_id)
        with self._connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # --- deliveries -------------------------------------------------------------------------

    def claim(self, subscription_id: int, period: str, runner: str, now: datetime) -> bool:
        """Take the delivery of ``period`` for this runner: True only for the one runner
        that may send it (a new period, or a failed attempt whose back-off has passed)."""
        try:
            with self._begin() as connection:
                connection.execute(
                    deliveries_table.insert().values(
                        subscription_id=subscription_id,
                        period=period,
                        status="sending",
                        attempts=1,
                        claimed_by=runner,
                        claimed_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass
        table = deliveries_table.c
        with self._begin() as connection:
            return bool(
                connection.execute(
                    deliveries_table.update()
                    .where(table.subscription_id == subscription_id, table.period == period)
                    .where(table.status == "failed", table.attempts < MAX_ATTEMPTS)
                    .where(table.next_attempt_at <= now)
                    .values(
                        status="sending",
                        attempts=table.attempts + 1,
                        claimed_by=runner,
                        claimed_at=now,
                    )
                ).rowcount
            )

    def record(
        self,
        subscription_id: int,
        period: str,
        error: str | None,
        now: datetime,
        data_as_of: str = "",
    ) -> Delivery:
        """The outcome of a claimed delivery: sent, or failed with the reason and the time
        of the next attempt."""
        table = deliveries_table.c
        where = (table.subscription_id == subscription_id, table.period == period)
        with self._begin() as connection:
            attempts = connection.execute(select(table.attempts).where(*where)).scalar_one()
            values: dict[str, Any] = {"data_as_of": data_as_of, "error": error}
            if error is None:
                values |= {"status": "sent", "sent_at": now, "next_attempt_at": None}
            else:
                retry = now + retry_delay(attempts) if attempts < MAX_ATTEMPTS else None
                values |= {"status": "failed", "error": error[:500], "next_attempt_at": retry}
            connection.execute(deliveries_table.update().where(*where).values(**values))
            row = connection.execute(select(deliveries_table).where(*where)).one()
            return _delivery(row)

    def deliveries(self, subscription_id: int | None = None) -> list[Delivery]:
        """Deliveries, latest claim first."""
        query = select(deliveries_table).order_by(deliveries_table.c.id.desc())
        if subscription_id is not None:
            query = query.where(deliveries_table.c.subscription_id == subscription_id)
        with self._connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def last_deliveries(self) -> dict[int, Delivery]:
        """Each subscription's latest delivery."""
        latest: dict[int, Delivery] = {}
        for delivery in reversed(self.deliveries()):
            latest[delivery.subscription_id] = delivery
        return latest

    # --- internals --------------------------------------------------------------------------

    def _connect(self) -> AbstractContextManager[Connection]:
        """Reading, and ``_begin`` one transaction: the agenda's, so a lost database is the
        same :class:`outreach.storage.AgendaUnavailableError` for both."""
        return self._agenda._connect()

    def _begin(self) -> AbstractContextManager[Connection]:
        return self._agenda._begin()

    @staticmethod
    def _get(connection: Connection, subscription_id: int) -> Subscription | None:
        row = connection.execute(
            select(subscriptions_table).where(subscriptions_table.c.id == subscription_id)
        ).one_or_none()
        return None if row is None else _subscription(row)

    def _upsert(
        self, connection: Connection, editor: Editor, data: SubscriptionInput
    ) -> Subscription:
        table = subscriptions_table.c
        existing = connection.execute(
            select(subscriptions_table).where(
                table.email == data.email, table.region_code == data.region_code
            )
        ).one_or_none()
        now = _now()
        choices = asdict(data)
        if existing is None:
            key = connection.execute(
                subscriptions_table.insert().values(
                    **choices,
                    active=True,
                    created_by=editor.who,
                    created_at=now,
                    updated_by=editor.who,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert key is not None  # an INSERT of one row always has its key
            after = self._get(connection, key[0])
            self._log(connection, editor.who, "create", None, after)
        else:
            before = _subscription(existing)
            if replace(before, **choices, active=True) == before:
                return before
            connection.execute(
                subscriptions_table.update()
                .where(table.id == before.id)
                .values(**choices, active=True, updated_by=editor.who, updated_at=now)
            )
            after = self._get(connection, before.id)
            self._log(connection, editor.who, "update", before, after)
        assert after is not None  # written just now, in this transaction
        return after

    @staticmethod
    def _log(
        connection: Connection,
        actor: str,
        action: str,
        before: Subscription | None,
        after: Subscription | None,
    ) -> None:
        connection.execute(
            audit_table.insert().values(
                subscription_id=(after or before).id,  # type: ignore[union-attr]  # one is set
                action=action,
                actor=actor,
                at=_now(),
                before=_snapshot(before),
                after=_snapshot(after),
            )
        )


def _now() -> datetime:
    return datetime.now(UTC)
