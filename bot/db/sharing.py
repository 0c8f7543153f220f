"""Invitations to share and the patients' choices (shares): the SQL, plain values out.

A share is active while ``withdrawn_at`` is NULL; the portal reads a patient's data only
through an active share, so withdrawing stops it at once. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.db.models import Alert, Invitation, Share, as_utc, utcnow

__all__ = [
    "InvitationRecord",
    "ShareRecord",
    "active_share",
    "active_share_by_id",
    "active_shares",
    "add_invitation",
    "delete_shares_of",
    "invitation_by_code_hash",
    "open_invitations",
    "start_share",
    "update_share",
    "use_invitation",
    "withdraw_share",
]


@dataclass(frozen=True)
class InvitationRecord:
    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


@dataclass(frozen=True)
class ShareRecord:
    id: int
    patient_id: int
    label: str | None
    scores: bool
    crisis: bool
    journal: bool
    started_at: datetime


_INVITATION = (
    Invitation.id,
    Invitation.label,
    Invitation.created_at,
    Invitation.expires_at,
    Invitation.used_at,
)


def _invitation(row: Sequence[Any]) -> InvitationRecord:
    i, label, created, expires, used = row
    return InvitationRecord(
        int(i), str(label), as_utc(created), as_utc(expires), as_utc(used) if used else None
    )


def add_invitation(
    connection: Connection,
    *,
    code_hash: str,
    label: str,
    created_by: int | None,
    expires_at: datetime,
) -> int:
    result = connection.execute(
        insert(Invitation)
        .values(
            code_hash=code_hash,
            label=label,
            created_by=created_by,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        .returning(Invitation.id)
    )
    return int(result.scalar_one())


def invitation_by_code_hash(connection: Connection, code_hash: str) -> InvitationRecord | None:
    row = connection.execute(select(*_INVITATION).where(Invitation.code_hash == code_hash)).first()
    return _invitation(row) if row else None


def open_invitations(connection: Connection, now: datetime) -> list[InvitationRecord]:
    rows = connection.execute(
        select(*_INVITATION)
        .where(Invitation.used_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc())
    )
    return [_invitation(r) for r in rows]


def use_invitation(connection: Connection, invitation_id: int) -> bool:
    """Spend the invitation; False when another press spent it first (one use)."""
    result = connection.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


_SHARE = (
    Share.id,
    Share.patient_id,
    Invitation.label,
    Share.scores,
    Share.crisis,
    Share.journal,
    Share.started_at,
)


def _share(row: Sequence[Any]) -> ShareRecord:
    i, patient, label, scores, crisis, journal, started = row
    return ShareRecord(
        int(i), int(patient), label, bool(scores), bool(crisis), bool(journal), as_utc(started)
    )


def _shares() -> Any:  # a Select of the share's columns
    return select(*_SHARE).outerjoin(Invitation, Invitation.id == Share.invitation_id)


def active_share(connection: Connection, patient_id: int) -> ShareRecord | None:
    query = _shares().where(Share.patient_id == patient_id, Share.withdrawn_at.is_(None))
    row = connection.execute(query).first()
    return _share(row) if row else None


def active_share_by_id(connection: Connection, share_id: int) -> ShareRecord | None:
    query = _shares().where(Share.id == share_id, Share.withdrawn_at.is_(None))
    row = connection.execute(query).first()
    return _share(row) if row else None


def active_shares(connection: Connection) -> list[ShareRecord]:
    """Every active share, oldest first (the portal's patient list)."""
    rows = connection.execute(_shares().where(Share.withdrawn_at.is_(None)).order_by(Share.id))
    return [_share(r) for r in rows]


def start_share(
    connection: Connection,
    *,
    patient_id: int,
    invitation_id: int,
    scores: bool,
    crisis: bool,
    journal: bool,
) -> int:
    result = connection.execute(
        insert(Share)
        .values(
            patient_id=patient_id,
            invitation_id=invitation_id,
            scores=scores,
            crisis=crisis,
            journal=journal,
            started_at=utcnow(),
        )
        .returning(Share.id)
    )
    return int(result.scalar_one())


def update_share(connection: Connection, share_id: int, *, journal: bool) -> None:
    connection.execute(update(Share).where(Share.id == share_id).values(journal=journal))


def withdraw_share(connection: Connection, share_id: int) -> None:
    """End the share now: nothing new is shared from this moment. Its open alerts stay in
    the queue until a clinician closes them (bot.db.alerts)."""
    connection.execute(update(Share).where(Share.id == share_id).values(withdrawn_at=utcnow()))


def delete_shares_of(connection: Connection, patient_id: int) -> None:
    """/delete: the patient's shares and their alerts go with everything else."""
    ids = select(Share.id).where(Share.patient_id == patient_id).scalar_subquery()
    connection.execute(delete(Alert).where(Alert.share_id.in_(ids)))
    connection.execute(delete(Share).where(Share.patient_id == patient_id))
