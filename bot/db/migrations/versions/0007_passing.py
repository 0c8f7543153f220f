"""Unconsented chats' places in an exercise, in the database so every process shares them.

A chat that has not said yes at /start used to be held in one process's memory; behind a
load balancer its next message could reach another process, which did not know it (the
consent buttons answered as if pressed from nowhere). The row names no chat (a keyed hash)
and holds the conversation sealed (bot.coach.passing).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passing_conversations",
        sa.Column("chat_key", sa.String(64), primary_key=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_passing_updated", "passing_conversations", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_passing_updated", table_name="passing_conversations")
    op.drop_table("passing_conversations")
