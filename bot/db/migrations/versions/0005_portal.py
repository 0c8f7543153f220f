"""The clinician portal: clinicians, their sessions, invitations, shares, alerts, audit.

The audit table is append-only: triggers refuse UPDATE and DELETE on both backends.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def _clinician_fk(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey("portal_clinicians.id", ondelete="SET NULL"))


def upgrade() -> None:
    op.create_table(
        "portal_clinicians",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("setup_token_hash", sa.String(64), unique=True),
        sa.Column("setup_expires_at", _WHEN),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", _WHEN),
        sa.Column("last_totp_step", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "clinician_id",
            sa.Integer(),
            sa.ForeignKey("portal_clinicians.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_seen_at", _WHEN, nullable=False),
    )
    op.create_table(
        "portal_invitations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.Text(), nullable=False),
        _clinician_fk("created_by"),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN),
    )
    op.create_table(
        "portal_shares",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "invitation_id",
            sa.Integer(),
            sa.ForeignKey("portal_invitations.id", ondelete="SET NULL"),
        ),
        sa.Column("scores", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("crisis", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("journal", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("withdrawn_at", _WHEN),
    )
    op.create_index("ix_portal_shares_patient", "portal_shares", ["patient_id", "withdrawn_at"])
    op.create_table(
        "portal_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("portal_shares.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("created_at", _WHEN, nullable=False),
        _clinician_fk("acknowledged_by"),
        sa.Column("acknowledged_at", _WHEN),
        _clinician_fk("closed_by"),
        sa.Column("closed_at", _WHEN),
        sa.Column("close_note", sa.Text()),
    )
    op.create_index("ix_portal_alerts_status", "portal_alerts", ["status", "created_at"])
    op.create_table(
        "portal_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("clinician_id", sa.Integer()),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("share_id", sa.Integer()),
        sa.Column("detail", sa.String(200)),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER portal_audit_no_{verb.lower()} BEFORE {verb} ON portal_audit "
                "BEGIN SELECT RAISE(ABORT, 'portal_audit is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION portal_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'portal_audit is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER portal_audit_append_only BEFORE UPDATE OR DELETE ON portal_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS portal_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS portal_audit_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS portal_audit_append_only ON portal_audit")
        op.execute("DROP FUNCTION IF EXISTS portal_audit_append_only()")
    op.drop_table("portal_audit")
    op.drop_index("ix_portal_alerts_status", table_name="portal_alerts")
    op.drop_table("portal_alerts")
    op.drop_index("ix_portal_shares_patient", table_name="portal_shares")
    op.drop_table("portal_shares")
    op.drop_table("portal_invitations")
    op.drop_table("portal_sessions")
    op.drop_table("portal_clinicians")
