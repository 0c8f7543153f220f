"""An index for each measure's latest scores of a patient (the portal's patient list).

The list shows every sharing patient's latest score of each measure with its direction,
so it needs each (patient, measure)'s last two administrations. Without this index the
database had to read and sort a year of every patient's administrations; with it each
pair is a short backward range (bot.db.portal_reads.latest_scored_totals).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_measures_patient_measure_taken",
        "measure_administrations",
        ["patient_id", "measure", "taken_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_measures_patient_measure_taken", table_name="measure_administrations")
