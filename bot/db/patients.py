"""Patients: find, create, the profile columns, active, delete (with everything they gave).

Like every function in bot.db: a connection in, plain values out, never a commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db.models import (
    Conversation,
    JournalEntry,
    MeasureAdministration,
    Patient,
    Reminder,
    ReminderSend,
    SafetyEventRow,
    utcnow,
)
from bot.db.outbox import forget_chat
from bot.db.sharing import delete_shares_of
from bot.shared.conversation import PatientView


@dataclass(frozen=True)
class PatientRecord:
    """A patient as plain data."""

    id: int
    channel: str
    external_id: str
    display_name: str | None
    timezone: str | None
    checkin_time: str | None
    checkins: bool
    consent: bool | None
    crisis_alerts: bool
    active: bool

    def view(self) -> PatientView:
        return PatientView(self.display_name, self.timezone, self.checkin_time)


PATIENT_COLUMNS = (
    Patient.id,
    Patient.channel,
    Patient.external_id,
    Patient.display_name,
    Patient.timezone,
    Patient.checkin_time,
    Patient.checkins,
    Patient.consent,
    Patient.crisis_alerts,
    Patient.active,
)


def create_patient(session: Connection, *, channel: str, external_id: str) -> int:
    try:
        with session.begin_nested():
            result = session.execute(
                insert(Patient)
                .values(channel=channel, external_id=external_id, created_at=utcnow())
                .returning(Patient.id)
            )
            return int(result.scalar_one())
    except IntegrityError:
        # Another process created the same patient a moment ago.
        found = session.execute(
            select(Patient.id).where(Patient.channel == channel, Patient.external_id == external_id)
        )
        return int(found.scalar_one())


_PROFILE_COLUMNS = {
    "name": "display_name",
    "timezone": "timezone",
    "checkin_time": "checkin_time",
    "checkins": "checkins",
    "consent": "consent",
    "crisis_alerts": "crisis_alerts",
}
_BOOLEAN_PROFILE = {"checkins", "consent", "crisis_alerts", "skip_tomorrow", "reminder_detail"}


def update_profile(session: Connection, *, patient_id: int, updates: dict[str, Any]) -> None:
    """Write the profile columns in ``updates`` (nothing else: bot.coach.profile reschedules)."""
    values: dict[str, Any] = {}
    for key, value in updates.items():
        if key in _BOOLEAN_PROFILE:
            value = value in (True, "yes", "on", "true")
        if key in _PROFILE_COLUMNS:
            values[_PROFILE_COLUMNS[key]] = value
    if values:
        session.execute(update(Patient).where(Patient.id == patient_id).values(**values))


def set_active(session: Connection, *, channel: str, external_id: str, active: bool) -> None:
    session.execute(
        update(Patient)
        .where(Patient.channel == channel, Patient.external_id == external_id)
        .values(active=active)
    )


def find_patient(session: Connection, *, channel: str, external_id: str) -> PatientRecord | None:
    row = (
        session.execute(
            select(*PATIENT_COLUMNS).where(
                Patient.channel == channel, Patient.external_id == external_id
            )
        )
    ).first()
    return record_of(row) if row else None


def chats_of(session: Connection, *, channel: str, agreed_only: bool) -> list[str]:
    """The chat ids of a channel's patients; ``agreed_only``: those who said yes at /start."""
    query = select(Patient.external_id).where(Patient.channel == channel)
    if agreed_only:
        query = query.where(Patient.consent.is_(True))
    return list(session.execute(query).scalars())


def record_of(values: Sequence[Any]) -> PatientRecord:
    return PatientRecord(*values)


def delete_patient(session: Connection, *, patient_id: int) -> None:
    """Remove the patient and everything they gave, table by table (not relying on cascades),
    and the replies still on their way to them (the outbox names a chat, not a patient): the
    one way a patient is erased, for /delete, a "no" to consent and retention alike."""
    chat = session.execute(
        select(Patient.channel, Patient.external_id).where(Patient.id == patient_id)
    ).first()
    if chat is not None:
        forget_chat(session, channel=chat.channel, chat_id=chat.external_id)
    delete_shares_of(session, patient_id)  # the portal's shares and their alerts
    for table in (JournalEntry, SafetyEventRow, ReminderSend, Reminder, MeasureAdministration):
        session.execute(delete(table).where(table.patient_id == patient_id))
    session.execute(delete(Conversation).where(Conversation.patient_id == patient_id))
    session.execute(delete(Patient).where(Patient.id == patient_id))


def created_since(session: Connection, *, patient_ids: Sequence[int], since: datetime) -> set[int]:
    """Which of ``patient_ids`` started with the coach at or after ``since``."""
    if not patient_ids:
        return set()
    rows = session.execute(
        select(Patient.id).where(Patient.id.in_(patient_ids), Patient.created_at >= since)
    )
    return {int(patient_id) for (patient_id,) in rows}
