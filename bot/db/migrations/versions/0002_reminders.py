"""Reminders: each patient's next due instant, and one row per claimed reminder.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("next_due", sa.DateTime(timezone=True)),
        sa.Column("skip_on", sa.String(10)),
        sa.Column("resume_on", sa.String(10)),
        sa.Column("unanswered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("detailed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_reminders_next_due", "reminders", ["next_due"])
    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gentle", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("patient_id", "due_at", name="uq_reminder_send_due"),
    )
    op.create_index("ix_reminder_sends_open", "reminder_sends", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_reminder_sends_open", table_name="reminder_sends")
    op.drop_table("reminder_sends")
    op.drop_index("ix_reminders_next_due", table_name="reminders")
    op.drop_table("reminders")
