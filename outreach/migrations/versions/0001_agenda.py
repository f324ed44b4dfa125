"""The agenda: outreach events and their audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outreach_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("regency_code", sa.String(4), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target_group", sa.String(20), nullable=False),
        sa.Column("organiser", sa.String(120), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_outreach_events_province", "outreach_events", ["province_code", "start_date"]
    )
    op.create_index("ix_outreach_events_regency", "outreach_events", ["regency_code", "start_date"])
    op.create_table(
        "outreach_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
    )
    op.create_index("ix_outreach_audit_event", "outreach_audit", ["event_id"])


def downgrade() -> None:
    op.drop_table("outreach_audit")
    op.drop_table("outreach_events")
