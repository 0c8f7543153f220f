"""Data-access functions. They take a connection, return plain values, and never commit:
the caller's one transaction per inbound event commits the step, its journal records
and the processed update id together, or none of them.

Over 300 lines: one module for the event path's tables, so its hot statements, built once,
sit beside the functions that run them (the reminders' SQL is bot/reminders/store.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db.models import (
    Conversation,
    JournalEntry,
    Patient,
    ProcessedUpdate,
    Reminder,
    ReminderSend,
    SafetyEventRow,
    as_utc,
    utcnow,
)
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import JournalRecord, SafetyEvent


class ConcurrentUpdate(Exception):
    """Another process advanced the same conversation first; handle the event again."""


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


@dataclass(frozen=True)
class LoadedConversation:
    patient: PatientRecord
    state: ConversationState
    revision: int


_PATIENT_COLUMNS = (
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


# The statements of every step are built once: building them costs more than running them.
_LOAD = (
    select(*_PATIENT_COLUMNS, Conversation.state, Conversation.revision)
    .outerjoin(Conversation, Conversation.patient_id == Patient.id)
    .where(Patient.channel == bindparam("channel"), Patient.external_id == bindparam("external_id"))
)
_SAVE = (
    update(Conversation)
    .where(Conversation.patient_id == bindparam("pid"), Conversation.revision == bindparam("rev"))
    .values(state=bindparam("doc"), revision=bindparam("new_rev"), updated_at=bindparam("now"))
)


def load_conversation(
    session: Connection, *, channel: str, external_id: str, create: bool = True
) -> LoadedConversation | None:
    """The patient and their conversation in one query; creates both on first contact."""
    params = {"channel": channel, "external_id": external_id}
    row = session.execute(_LOAD, params).first()
    if row is None:
        if not create:
            return None
        _create_patient(session, channel=channel, external_id=external_id)
        row = session.execute(_LOAD, params).first()
        assert row is not None
    patient = _record(row[: len(_PATIENT_COLUMNS)])
    state = cast(dict[str, Any] | None, row[-2])
    revision = cast(int | None, row[-1])
    return LoadedConversation(patient, ConversationState.from_json(state), revision or 0)


def _create_patient(session: Connection, *, channel: str, external_id: str) -> int:
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


def save_conversation(
    session: Connection, *, patient_id: int, state: ConversationState, revision: int
) -> int:
    """Store the new state if nobody else did in between; returns the new revision."""
    document = state.to_json()
    if revision == 0:
        try:
            with session.begin_nested():
                session.execute(
                    insert(Conversation).values(
                        patient_id=patient_id, state=document, revision=1, updated_at=utcnow()
                    )
                )
            return 1
        except IntegrityError as exc:
            raise ConcurrentUpdate from exc
    result = session.execute(
        _SAVE,
        {
            "pid": patient_id,
            "rev": revision,
            "doc": document,
            "new_rev": revision + 1,
            "now": utcnow(),
        },
    )
    if result.rowcount != 1:
        raise ConcurrentUpdate
    return revision + 1


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
    session: Connection, *, patient_id: int | None, events: list[SafetyEvent]
) -> None:
    if events:
        now = utcnow()
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


def claim_update(session: Connection, *, channel: str, update_id: int) -> bool:
    """Record ``update_id`` as handled; False when it already was (a redelivery).

    ``ON CONFLICT DO NOTHING`` rather than catching the duplicate key: no savepoint per
    update, and PostgreSQL does not log an error for every redelivery.
    """
    statement = _CLAIM[session.dialect.name]
    result = session.execute(
        statement, {"channel": channel, "update_id": update_id, "processed_at": utcnow()}
    )
    return result.rowcount == 1


_CLAIM = {
    name: dialect_insert(ProcessedUpdate).on_conflict_do_nothing()
    for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}
#: Telegram keeps an undelivered update for 24 hours; a week is a wide margin.
PROCESSED_UPDATES_KEPT = timedelta(days=7)


def prune_processed_updates(session: Connection, *, now: datetime | None = None) -> int:
    """Forget handled update ids too old to be delivered again; returns how many."""
    cutoff = (now or utcnow()) - PROCESSED_UPDATES_KEPT
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    return result.rowcount


def set_active(session: Connection, *, channel: str, external_id: str, active: bool) -> None:
    session.execute(
        update(Patient)
        .where(Patient.channel == channel, Patient.external_id == external_id)
        .values(active=active)
    )


@dataclass(frozen=True)
class JournalItem:
    kind: str
    flow_id: str
    flow_version: int
    data: dict[str, Any]
    created_at: datetime


def journal(session: Connection, *, patient_id: int, kind: str | None = None) -> list[JournalItem]:
    query = select(
        JournalEntry.kind,
        JournalEntry.flow_id,
        JournalEntry.flow_version,
        JournalEntry.data,
        JournalEntry.created_at,
    ).where(JournalEntry.patient_id == patient_id)
    if kind:
        query = query.where(JournalEntry.kind == kind)
    rows = session.execute(query.order_by(JournalEntry.created_at, JournalEntry.id))
    return [JournalItem(*row) for row in rows]


def find_patient(session: Connection, *, channel: str, external_id: str) -> PatientRecord | None:
    row = (
        session.execute(
            select(*_PATIENT_COLUMNS).where(
                Patient.channel == channel, Patient.external_id == external_id
            )
        )
    ).first()
    return _record(row) if row else None


def _record(values: Sequence[Any]) -> PatientRecord:
    return PatientRecord(*values)


def delete_patient(session: Connection, *, patient_id: int) -> None:
    """Remove the patient and everything they gave, table by table (not relying on cascades)."""
    for table in (JournalEntry, SafetyEventRow, ReminderSend, Reminder):
        session.execute(delete(table).where(table.patient_id == patient_id))
    session.execute(delete(Conversation).where(Conversation.patient_id == patient_id))
    session.execute(delete(Patient).where(Patient.id == patient_id))


def conversation_updated_at(session: Connection, *, patient_id: int) -> datetime | None:
    """When the patient's conversation last moved (None: it has none)."""
    found = session.execute(
        select(Conversation.updated_at).where(Conversation.patient_id == patient_id)
    ).scalar_one_or_none()
    return as_utc(found) if found is not None else None


def latest_safety_event_at(
    session: Connection, *, patient_id: int, excluding: tuple[str, ...] = ()
) -> datetime | None:
    """When the patient's latest stored safety event happened (for the on-call quiet window);
    ``excluding`` names categories that do not count."""
    query = select(func.max(SafetyEventRow.created_at)).where(
        SafetyEventRow.patient_id == patient_id
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
