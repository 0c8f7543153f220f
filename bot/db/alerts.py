"""The alert queue and the audit trail: the SQL, plain values out, never a commit.

An alert belongs to a share (never to a bare patient), so an alert exists only for a
patient who chose to share. One raised while they shared stays in the queue until a
clinician closes it, even after they stop: stopping ends what is shared from then on, and
a crisis nobody has answered must not vanish from the queue. The audit table takes
inserts only (the migration's triggers refuse UPDATE, DELETE and, on PostgreSQL, TRUNCATE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from bot.db.models import Alert, AuditEntry, Invitation, Share, as_utc, utcnow

__all__ = [
    "AlertRecord",
    "AuditRecord",
    "acknowledge_alert",
    "add_alert",
    "add_audit",
    "alert_by_id",
    "alerts",
    "audit_entries",
    "close_alert",
    "has_unanswered_alert",
    "last_alert_id",
    "raised_after",
]

NEW, ACKNOWLEDGED, CLOSED = "new", "acknowledged", "closed"


@dataclass(frozen=True)
class AlertRecord:
    id: int
    share_id: int
    label: str | None
    kind: str
    detail: str | None
    status: str
    created_at: datetime
    acknowledged_by: int | None
    acknowledged_at: datetime | None
    closed_by: int | None
    closed_at: datetime | None
    close_note: str | None
    #: When the patient stopped sharing (None: still sharing); the queue then shows the
    #: alert without a link to their page, which is "not found".
    withdrawn_at: datetime | None


_ALERT = (
    Alert.id,
    Alert.share_id,
    Invitation.label,
    Alert.kind,
    Alert.detail,
    Alert.status,
    Alert.created_at,
    Alert.acknowledged_by,
    Alert.acknowledged_at,
    Alert.closed_by,
    Alert.closed_at,
    Alert.close_note,
    Share.withdrawn_at,
)


def _alert(row: Sequence[Any]) -> AlertRecord:
    values = list(row)
    for index in (6, 8, 10, 12):
        if values[index] is not None:
            values[index] = as_utc(values[index])
    return AlertRecord(*values)


def _query() -> Any:  # a Select of the alert's columns
    return (
        select(*_ALERT)
        .join(Share, Share.id == Alert.share_id)
        .outerjoin(Invitation, Invitation.id == Share.invitation_id)
    )


def add_alert(connection: Connection, *, share_id: int, kind: str, detail: str | None) -> int:
    result = connection.execute(
        insert(Alert)
        .values(share_id=share_id, kind=kind, detail=detail, status=NEW, created_at=utcnow())
        .returning(Alert.id)
    )
    return int(result.scalar_one())


def has_unanswered_alert(
    connection: Connection, *, share_id: int, kind: str, since: datetime | None = None
) -> bool:
    """Is an alert of ``kind`` for this share still new (so a repeat adds nothing)? With
    ``since``: was one raised after that instant, whatever its status?"""
    query = (
        select(func.count())
        .select_from(Alert)
        .where(Alert.share_id == share_id, Alert.kind == kind)
    )
    query = (
        query.where(Alert.status == NEW) if since is None else query.where(Alert.created_at > since)
    )
    return bool(connection.execute(query).scalar_one())


def last_alert_id(connection: Connection, *, patient_id: int) -> int:
    """The newest alert's id among the patient's shares (0: none): read before an event,
    so :func:`raised_after` finds what that event raised (by id, not by clock)."""
    query = (
        select(func.max(Alert.id))
        .join(Share, Share.id == Alert.share_id)
        .where(Share.patient_id == patient_id)
    )
    return int(connection.execute(query).scalar_one() or 0)


def raised_after(
    connection: Connection, *, patient_id: int, after_id: int, kinds: Sequence[str]
) -> bool:
    """Was an alert of one of ``kinds`` raised for the patient after alert ``after_id``?"""
    query = (
        select(func.count())
        .select_from(Alert)
        .join(Share, Share.id == Alert.share_id)
        .where(Share.patient_id == patient_id, Alert.kind.in_(kinds), Alert.id > after_id)
    )
    return bool(connection.execute(query).scalar_one())


def alerts(
    connection: Connection, *, open_only: bool = True, share_id: int | None = None
) -> list[AlertRecord]:
    """Alerts newest first. ``open_only``: the queue, every alert not yet closed, a
    withdrawn patient's included (raised while they shared, still unanswered); else every
    alert of an active share (a patient's page)."""
    query = _query()
    if open_only:
        query = query.where(Alert.status != CLOSED)
    else:
        query = query.where(Share.withdrawn_at.is_(None))
    if share_id is not None:
        query = query.where(Alert.share_id == share_id)
    rows = connection.execute(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(500))
    return [_alert(r) for r in rows]


def alert_by_id(connection: Connection, alert_id: int) -> AlertRecord | None:
    """An alert of the queue: any of an active share, or an open one of a withdrawn share
    (it can still be acknowledged and closed)."""
    row = connection.execute(
        _query().where(
            Alert.id == alert_id, (Share.withdrawn_at.is_(None)) | (Alert.status != CLOSED)
        )
    ).first()
    return _alert(row) if row else None


def acknowledge_alert(connection: Connection, *, alert_id: int, clinician_id: int) -> bool:
    result = connection.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == NEW)
        .values(status=ACKNOWLEDGED, acknowledged_by=clinician_id, acknowledged_at=utcnow())
    )
    return result.rowcount == 1


def close_alert(connection: Connection, *, alert_id: int, clinician_id: int, note: str) -> bool:
    """Close with a note; an alert closed straight from new counts as acknowledged too."""
    now = utcnow()
    row = connection.execute(select(Alert.status).where(Alert.id == alert_id)).first()
    if row is None or row[0] == CLOSED:
        return False
    values: dict[str, object] = {
        "status": CLOSED,
        "closed_by": clinician_id,
        "closed_at": now,
        "close_note": note,
    }
    if row[0] == NEW:
        values.update(acknowledged_by=clinician_id, acknowledged_at=now)
    connection.execute(update(Alert).where(Alert.id == alert_id).values(**values))
    return True


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    clinician_id: int | None
    actor: str
    action: str
    share_id: int | None
    detail: str | None


def add_audit(
    connection: Connection,
    *,
    actor: str,
    action: str,
    clinician_id: int | None = None,
    share_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Append one line: who (``actor``: an email, ``patient`` or ``system``), what, which
    share, when. ``detail`` is a code or an id, never a patient's words."""
    connection.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            clinician_id=clinician_id,
            actor=actor,
            action=action,
            share_id=share_id,
            detail=detail,
        )
    )


def audit_entries(
    connection: Connection, *, limit: int | None = 500, before_id: int | None = None
) -> list[AuditRecord]:
    """Newest first; ``limit`` None for every line (the export)."""
    query = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.clinician_id,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.share_id,
        AuditEntry.detail,
    ).order_by(AuditEntry.id.desc())
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditRecord(int(i), as_utc(at), c, str(actor), str(action), s, d)
        for i, at, c, actor, action, s, d in connection.execute(query)
    ]
