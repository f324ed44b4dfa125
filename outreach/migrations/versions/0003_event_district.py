"""An event may name a kecamatan of its regency (optional).

Outreach is planned by kecamatan (issue 20): a mobile desk or a village visit happens in one.
``outreach_events.district_code`` holds its 6-digit code, or NULL for the whole regency.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_events") as batch:
        batch.add_column(sa.Column("district_code", sa.String(6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outreach_events") as batch:
        batch.drop_column("district_code")
