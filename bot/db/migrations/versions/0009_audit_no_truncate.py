"""The audit trail refuses TRUNCATE too (PostgreSQL).

0005 made ``portal_audit`` append-only with triggers on UPDATE and DELETE; on PostgreSQL a
``TRUNCATE portal_audit`` skipped both and emptied it. A statement trigger on TRUNCATE
runs the same refusal. SQLite has no TRUNCATE (its ``DELETE FROM`` is refused already).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(
            "CREATE TRIGGER portal_audit_no_truncate BEFORE TRUNCATE ON portal_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS portal_audit_no_truncate ON portal_audit")
