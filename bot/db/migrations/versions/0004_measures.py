"""Measurement-based care: one row per questionnaire administration (issue 15).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measure_administrations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("item_scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float()),
        sa.Column("band", sa.String(40)),
        sa.Column("positive", sa.Boolean()),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("delivered", sa.String(16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_measures_patient_taken", "measure_administrations", ["patient_id", "taken_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_measures_patient_taken", table_name="measure_administrations")
    op.drop_table("measure_administrations")
