"""Retention: when a patient was last seen, and removing what is older than the setting.

Like every function in bot.db: a connection in, plain values out, never a commit;
``bot.coach.retention`` runs them in batches, one transaction each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from bot.db.locks import lock_chats
from bot.db.models import JournalEntry, Patient, SafetyEventRow
from bot.db.patients import delete_patient

#: ``last_seen_at`` is written at most this often per patient (a write per event would be
#: one more page in the WAL for every message, for a setting counted in months).
SEEN_RESOLUTION = timedelta(hours=1)

_SEEN = (
    update(Patient)
    .where(
        Patient.id == bindparam("pid"),
        or_(Patient.last_seen_at.is_(None), Patient.last_seen_at < bindparam("stale")),
    )
    .values(last_seen_at=bindparam("now"))
)


def mark_seen(connection: Connection, *, patient_id: int, now: datetime) -> None:
    """The patient wrote or tapped just now (stored when the last mark is over an hour old)."""
    connection.execute(_SEEN, {"pid": patient_id, "stale": now - SEEN_RESOLUTION, "now": now})


def delete_old_journal(connection: Connection, *, before: datetime, limit: int) -> int:
    """Up to ``limit`` journal entries written before ``before``; returns how many."""
    old = select(JournalEntry.id).where(JournalEntry.created_at < before).limit(limit)
    return connection.execute(delete(JournalEntry).where(JournalEntry.id.in_(old))).rowcount


def delete_old_safety_events(connection: Connection, *, before: datetime, limit: int) -> int:
    """Up to ``limit`` safety events (category and rule, never words) from before ``before``."""
    old = select(SafetyEventRow.id).where(SafetyEventRow.created_at < before).limit(limit)
    return connection.execute(delete(SafetyEventRow).where(SafetyEventRow.id.in_(old))).rowcount


def delete_inactive_patients(connection: Connection, *, before: datetime, limit: int) -> int:
    """Up to ``limit`` patients last seen (or, never seen, created) before ``before``, with
    everything they gave; returns how many.

    Each chat is locked as an event locks it (in one order, so two runs cannot deadlock),
    and the patient is read again under the lock: one who wrote while the run was choosing
    (their event held the lock and marked them seen) is kept."""
    seen = func.coalesce(Patient.last_seen_at, Patient.created_at)
    chosen = connection.execute(
        select(Patient.channel, Patient.external_id).where(seen < before).limit(limit)
    ).all()
    chats = [(str(channel), str(external_id)) for channel, external_id in chosen]
    lock_chats(connection, chats)
    deleted = 0
    for channel, external_id in chats:
        patient_id = connection.execute(
            select(Patient.id).where(
                Patient.channel == channel, Patient.external_id == external_id, seen < before
            )
        ).scalar()
        if patient_id is not None:
            delete_patient(connection, patient_id=patient_id)
            deleted += 1
    return deleted
