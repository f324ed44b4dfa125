"""The replica contract: the tables and columns the dashboard reads, and nothing else.

The production replica is a PostgreSQL hot standby of the programme's database; the embedded
default is a synthetic SQLite file with the same tables (``synthetic``). Every table is
append-only with an increasing integer ``id``, which the refresh job uses as its watermark.
No column identifies a person: no NIK, name, phone or address. Timestamps are local time
(WIB) without a zone. See ``docs/DATA_CONTRACT.md`` for the prose version.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

platforms = Table(
    "platforms",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("name", String(64), nullable=False),
)

training_providers = Table(
    "training_providers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("training_providers.id"), nullable=False),
    Column("platform_id", ForeignKey("platforms.id"), nullable=False),
    Column("title", String(200), nullable=False),
)

payment_partners = Table(
    "payment_partners",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("name", String(64), nullable=False),
)

registrants = Table(
    "registrants",
    metadata,
    Column("id", BigInteger, primary_key=True),
    # 4-digit Kemendagri code of the domicile regency (from the NIK); may be pre-2022 vintage.
    Column("regency_code", String(4), nullable=False),
    Column("registered_at", DateTime, nullable=False),
    Column("channel", String(8), nullable=False),  # 'online' | 'offline'
    Column("gender", String(1), nullable=False),  # 'F' | 'M'
    Column("birth_year", SmallInteger, nullable=False),
    Column("disability", Boolean, nullable=False),
    Column("employment_status", String(16), nullable=False),
    # Optional: 6-digit Kemendagri code of the domicile kecamatan (district), e.g. '321601'.
    # A replica without it works at regency level; see OPTIONAL_COLUMNS.
    Column("district_code", String(6), nullable=True),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("registrant_id", ForeignKey("registrants.id"), nullable=False),
    Column("wave", SmallInteger, nullable=False),
    Column("selected_at", DateTime, nullable=False),
    Index("recipients_registrant_id", "registrant_id"),
)

training_completions = Table(
    "training_completions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("registrant_id", ForeignKey("registrants.id"), nullable=False),
    Column("course_id", ForeignKey("courses.id"), nullable=False),
    Column("completed_at", DateTime, nullable=False),
    Index("training_completions_registrant_id", "registrant_id"),
)

incentive_payments = Table(
    "incentive_payments",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("registrant_id", ForeignKey("registrants.id"), nullable=False),
    Column("partner_id", ForeignKey("payment_partners.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # 'monthly' | 'survey'
    Column("installment", SmallInteger, nullable=False),
    Column("amount_idr", BigInteger, nullable=False),
    Column("paid_at", DateTime, nullable=False),
    Index("incentive_payments_registrant_id", "registrant_id"),
)

synthetic_dataset = Table(
    "synthetic_dataset",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("generator", String(64), nullable=False),
    Column("scale", String(16), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("generated_at", DateTime, nullable=False),
)
"""Present only in replicas written by ``synthetic``: wherever such a replica is served
from (SQLite or PostgreSQL), every screen and export says the data is synthetic."""

DIMENSION_TABLES = (platforms, training_providers, courses, payment_partners)
"""Small tables copied whole on every refresh."""

FACT_TABLES = (registrants, recipients, training_completions, incentive_payments)
"""Append-only tables copied incrementally, by ``id`` watermark."""

STORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "registrants": (
        "id",
        "regency_code",
        "registered_at",
        "channel",
        "gender",
        "birth_year",
        "disability",
        "district_code",
    ),
    "recipients": ("id", "registrant_id", "wave", "selected_at"),
    "training_completions": ("id", "registrant_id", "course_id", "completed_at"),
    "incentive_payments": (
        "id",
        "registrant_id",
        "partner_id",
        "kind",
        "installment",
        "amount_idr",
        "paid_at",
    ),
    "platforms": ("id", "name"),
    "training_providers": ("id", "name"),
    "courses": ("id", "provider_id", "platform_id"),
    "payment_partners": ("id", "name"),
}
"""The narrow columns the refresh job copies into the analytics store (no free text about
people, and no employment status: the dashboard does not filter by it)."""

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"registrants": ("district_code",)}
"""Contract columns a replica may lack: the refresh copies NULL for them (every registrant then
counts in its regency's "kecamatan tidak dikenal" row) and the store's ``meta`` says so
(``has_districts``), so the screens can say the replica has no kecamatan data."""
