"""Ids never reused, an identity per event, scoped and append-only audit trail.

- SQLite reused the id of a deleted event (its plain INTEGER PRIMARY KEY takes max(id)+1),
  so a form opened on a deleted event could save over a new one: both tables become
  AUTOINCREMENT, and the events' counter starts above every id the audit trail has seen.
  PostgreSQL's sequences never go back.
- ``uid``: a random identity per event that a save must name along with the id and version.
- ``outreach_audit.regency_code``: the regency an entry is about, so a regional user's view
  is filtered in SQL before its limit.
- Audit rows can be inserted, never updated or deleted (a trigger on both databases).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

import json
import uuid
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

REFUSAL = "Riwayat perubahan agenda hanya dapat ditambah, tidak dapat diubah atau dihapus."
PG_FUNCTION = f"""
CREATE FUNCTION outreach_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
END $$
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _backfill(connection: sa.Connection) -> None:
    """A uid for every existing event, a regency for every existing audit entry."""
    for (event_id,) in connection.execute(sa.text("SELECT id FROM outreach_events")).all():
        connection.execute(
            sa.text("UPDATE outreach_events SET uid = :uid WHERE id = :id"),
            {"uid": uuid.uuid4().hex, "id": event_id},
        )
    entries = connection.execute(sa.text("SELECT id, before, after FROM outreach_audit")).all()
    for entry_id, before, after in entries:
        snapshot = json.loads(after or before or "{}")
        connection.execute(
            sa.text("UPDATE outreach_audit SET regency_code = :code WHERE id = :id"),
            {"code": str(snapshot.get("regency_code", "")), "id": entry_id},
        )


def _append_only() -> None:
    if _sqlite():
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER outreach_audit_no_{action.lower()} BEFORE {action} "
                f"ON outreach_audit BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        return
    op.execute(PG_FUNCTION)
    op.execute(
        "CREATE TRIGGER outreach_audit_append_only BEFORE UPDATE OR DELETE ON outreach_audit "
        "FOR EACH ROW EXECUTE FUNCTION outreach_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER outreach_audit_no_truncate BEFORE TRUNCATE ON outreach_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION outreach_audit_append_only()"
    )


def upgrade() -> None:
    op.add_column("outreach_events", sa.Column("uid", sa.String(32), nullable=True))
    op.add_column("outreach_audit", sa.Column("regency_code", sa.String(4), nullable=True))
    _backfill(op.get_bind())
    recreate: Literal["always", "auto"] = "always" if _sqlite() else "auto"
    counter = {"sqlite_autoincrement": True}
    with op.batch_alter_table("outreach_events", recreate=recreate, table_kwargs=counter) as t:
        t.alter_column("uid", existing_type=sa.String(32), nullable=False)
    with op.batch_alter_table("outreach_audit", recreate=recreate, table_kwargs=counter) as t:
        t.alter_column("regency_code", existing_type=sa.String(4), nullable=False)
    op.create_index("ix_outreach_audit_regency", "outreach_audit", ["regency_code", "id"])
    if _sqlite():  # start above every id ever used, deleted ones included
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'outreach_events'")
        op.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'outreach_events', "
            "max(coalesce((SELECT max(id) FROM outreach_events), 0), "
            "coalesce((SELECT max(event_id) FROM outreach_audit), 0))"
        )
    _append_only()


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER outreach_audit_no_update")
        op.execute("DROP TRIGGER outreach_audit_no_delete")
    else:
        op.execute("DROP TRIGGER outreach_audit_append_only ON outreach_audit")
        op.execute("DROP TRIGGER outreach_audit_no_truncate ON outreach_audit")
        op.execute("DROP FUNCTION outreach_audit_append_only()")
    op.drop_index("ix_outreach_audit_regency", "outreach_audit")
    with op.batch_alter_table("outreach_audit") as table:
        table.drop_column("regency_code")
    with op.batch_alter_table("outreach_events") as table:
        table.drop_column("uid")
