"""The journal and the safety events: what a step records, and reading it back.

Like every function in bot.db: a connection in, plain values out, never a commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from bot.db.models import (
    JournalEntry,
    SafetyEventRow,
    as_utc,
    utcnow,
)
from bot.shared.messages import ASKED_PREFIX, JournalRecord, SafetyEvent


def add_journal_records(
    session: Connection, *, patient_id: int, records: list[JournalRecord]
) -> None:
    if records:
        now = utcnow()
        session.execute(
            insert(JournalEntry),
            [
                {
                    "patient_id": patient_id,
                    "kind": r.kind,
                    "flow_id": r.flow_id,
                    "flow_version": r.flow_version,
                    "data": r.data,
                    "created_at": now,
                }
                for r in records
            ],
        )


def add_safety_events(
    session: Connection,
    *,
    patient_id: int | None,
    events: list[SafetyEvent],
    at: datetime | None = None,
) -> None:
    """``at``: when they happened, if earlier than now (stored after a database outage)."""
    if events:
        now = at or utcnow()
        session.execute(
            insert(SafetyEventRow),
            [
                {
                    "patient_id": patient_id,
                    "category": e.category,
                    "rule_id": e.rule_id,
                    "created_at": now,
                }
                for e in events
            ],
        )


@dataclass(frozen=True)
class JournalItem:
    kind: str
    flow_id: str
    flow_version: int
    data: dict[str, Any]
    created_at: datetime


_ITEM = select(
    JournalEntry.kind,
    JournalEntry.flow_id,
    JournalEntry.flow_version,
    JournalEntry.data,
    JournalEntry.created_at,
)


def _item(row: Any) -> JournalItem:
    kind, flow_id, flow_version, data, created_at = row
    return JournalItem(kind, flow_id, flow_version, data, as_utc(created_at))


def journal(session: Connection, *, patient_id: int, kind: str | None = None) -> list[JournalItem]:
    """The patient's entries (of ``kind``), oldest first; times in UTC on both databases."""
    query = _ITEM.where(JournalEntry.patient_id == patient_id)
    if kind:
        query = query.where(JournalEntry.kind == kind)
    rows = session.execute(query.order_by(JournalEntry.created_at, JournalEntry.id))
    return [_item(row) for row in rows]


def latest_journal(session: Connection, *, patient_id: int, kind: str) -> JournalItem | None:
    """The patient's latest entry of ``kind`` (one row read, however many they kept: /sos
    shows the latest safety plan, and a patient may have saved many)."""
    row = session.execute(
        _ITEM.where(JournalEntry.patient_id == patient_id, JournalEntry.kind == kind)
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
        .limit(1)
    ).first()
    return _item(row) if row is not None else None


def latest_safety_event_at(
    session: Connection, *, patient_id: int, excluding: tuple[str, ...] = ()
) -> datetime | None:
    """When the patient's latest stored safety event happened (for the on-call quiet window);
    ``excluding`` names categories that do not count, and neither do direct questions."""
    query = select(func.max(SafetyEventRow.created_at)).where(
        SafetyEventRow.patient_id == patient_id,
        SafetyEventRow.rule_id.not_like(f"{ASKED_PREFIX}%"),
    )
    if excluding:
        query = query.where(SafetyEventRow.category.not_in(excluding))
    found = session.execute(query).scalar_one_or_none()
    return as_utc(found) if found is not None else None


def journal_since(
    session: Connection, *, patient_id: int, kinds: tuple[str, ...], since: datetime
) -> list[JournalItem]:
    """The patient's entries of ``kinds`` written at or after ``since``, oldest first."""
    rows = session.execute(
        select(
            JournalEntry.kind,
            JournalEntry.flow_id,
            JournalEntry.flow_version,
            JournalEntry.data,
            JournalEntry.created_at,
        )
        .where(
            JournalEntry.patient_id == patient_id,
            JournalEntry.kind.in_(kinds),
            JournalEntry.created_at >= since,
        )
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    return [
        JournalItem(kind, flow_id, version, data, as_utc(created))
        for kind, flow_id, version, data, created in rows
    ]


def latest_at_by_kind(
    session: Connection, *, patient_ids: Sequence[int], kinds: tuple[str, ...], since: datetime
) -> dict[tuple[int, str], datetime]:
    """When each patient last wrote each of ``kinds`` at or after ``since``: one query for
    a whole batch (the reminder dispatcher asks it for every batch it claims)."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(JournalEntry.patient_id, JournalEntry.kind, func.max(JournalEntry.created_at))
        .where(
            JournalEntry.patient_id.in_(patient_ids),
            JournalEntry.kind.in_(kinds),
            JournalEntry.created_at >= since,
        )
        .group_by(JournalEntry.patient_id, JournalEntry.kind)
    )
    return {(patient_id, kind): as_utc(at) for patient_id, kind, at in rows}
