"""When a questionnaire was last offered at the end of a check-in.

An offer the patient neither took nor declined used to come back after every check-in.
``patients.measure_offered_at`` paces the offers (``bot.coach.measure_offers``): none
within a few days of the last. NULL: never offered since this column was added.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("measure_offered_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # Not alembic's batch mode on SQLite: its table rebuild would cascade-delete rows.
    op.execute("ALTER TABLE patients DROP COLUMN measure_offered_at")
