"""Encryption at rest and retention: the register of key ids that sealed values, room for a
sealed name, and when each patient was last seen.

A sealed value is longer than the text it holds, so the chosen name becomes TEXT (it was
VARCHAR(100), which PostgreSQL enforces). The JSON columns keep their type: a sealed
document is stored as one JSON string (bot.db.crypto).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "encryption_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
    )
    # SQLite does not enforce a VARCHAR's length, and rebuilding the table there (alembic's
    # batch mode) would cascade-delete every row that refers to a patient.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "patients",
            "display_name",
            type_=sa.Text(),
            existing_type=sa.String(100),
            existing_nullable=True,
        )
    # Last seen: the conversation's last step, or when the patient was created.
    op.add_column("patients", sa.Column("last_seen_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE patients SET last_seen_at = COALESCE((SELECT c.updated_at FROM conversations c "
        "WHERE c.patient_id = patients.id), created_at)"
    )


def downgrade() -> None:
    # Not alembic's batch mode on SQLite: its table rebuild would cascade-delete rows.
    op.execute("ALTER TABLE patients DROP COLUMN last_seen_at")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "patients",
            "display_name",
            type_=sa.String(100),
            existing_type=sa.Text(),
            existing_nullable=True,
        )
    op.drop_table("encryption_keys")
