"""Conversations: one JSON document per patient, versioned by a revision (optimistic).

Like every function in bot.db: a connection in, plain values out, never a commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.db.models import (
    Conversation,
    Patient,
    as_utc,
    utcnow,
)
from bot.db.patients import PATIENT_COLUMNS, PatientRecord, create_patient, record_of
from bot.shared.conversation import ConversationState


class ConcurrentUpdate(Exception):
    """Another process advanced the same conversation first; handle the event again."""


@dataclass(frozen=True)
class LoadedConversation:
    patient: PatientRecord
    state: ConversationState
    revision: int


class PendingSave(NamedTuple):
    """A conversation to save with others of a batch (``save_conversations``)."""

    patient_id: int
    state: ConversationState
    revision: int  # as read; 0: the patient has no conversation row yet


# The statements of every step are built once: building them costs more than running them.
_LOAD = (
    select(*PATIENT_COLUMNS, Conversation.state, Conversation.revision)
    .outerjoin(Conversation, Conversation.patient_id == Patient.id)
    .where(Patient.channel == bindparam("channel"), Patient.external_id == bindparam("external_id"))
)
_LOAD_MANY = (
    select(*PATIENT_COLUMNS, Conversation.state, Conversation.revision)
    .outerjoin(Conversation, Conversation.patient_id == Patient.id)
    .where(
        Patient.channel == bindparam("channel"),
        Patient.external_id.in_(bindparam("external_ids", expanding=True)),
    )
)
_SAVE = (
    update(Conversation)
    .where(Conversation.patient_id == bindparam("pid"), Conversation.revision == bindparam("rev"))
    .values(state=bindparam("doc"), revision=bindparam("new_rev"), updated_at=bindparam("now"))
)
# A patient's first conversation. ON CONFLICT DO NOTHING (both dialects) says "someone else
# wrote it first" by its row count, without the savepoint an IntegrityError would need
# (a savepoint and its release cost more than the insert).
_FIRST_VALUES = {
    "patient_id": bindparam("pid"),
    "state": bindparam("doc"),
    "revision": 1,
    "updated_at": bindparam("now"),
}
_FIRST = {
    "sqlite": sqlite.insert(Conversation).values(_FIRST_VALUES).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(Conversation).values(_FIRST_VALUES).on_conflict_do_nothing(),
}

# Many patients' first conversations at once; RETURNING names the rows written, so a
# conflict (someone else wrote one first) is seen without a row count per row.
_FIRST_MANY = {
    "sqlite": sqlite.insert(Conversation)
    .on_conflict_do_nothing()
    .returning(Conversation.patient_id),
    "postgresql": postgresql.insert(Conversation)
    .on_conflict_do_nothing()
    .returning(Conversation.patient_id),
}
_REVISIONS = (
    select(Conversation.patient_id, Conversation.revision)
    .where(Conversation.patient_id.in_(bindparam("pids", expanding=True)))
    .with_for_update()
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
        create_patient(session, channel=channel, external_id=external_id)
        row = session.execute(_LOAD, params).first()
        assert row is not None
    return _loaded(row)


def load_conversations(
    session: Connection, *, channel: str, external_ids: list[str]
) -> dict[str, LoadedConversation]:
    """``load_conversation`` for many patients in one query (a batch of reminders); a chat
    with no patient is left out (none is created)."""
    if not external_ids:
        return {}
    rows = session.execute(_LOAD_MANY, {"channel": channel, "external_ids": external_ids})
    loaded = (_loaded(row) for row in rows)
    return {conversation.patient.external_id: conversation for conversation in loaded}


def _loaded(row: Any) -> LoadedConversation:
    """A row of ``_LOAD`` or ``_LOAD_MANY``: the patient's columns, then state and revision."""
    patient = record_of(row[: len(PATIENT_COLUMNS)])
    state = cast(dict[str, Any] | None, row[-2])
    revision = cast(int | None, row[-1])
    return LoadedConversation(patient, ConversationState.from_json(state), revision or 0)


def save_conversation(
    session: Connection, *, patient_id: int, state: ConversationState, revision: int
) -> int:
    """Store the new state if nobody else did in between; returns the new revision."""
    document = state.to_json()
    if revision == 0:
        first = _FIRST[session.dialect.name]
        written = session.execute(first, {"pid": patient_id, "doc": document, "now": utcnow()})
        if written.rowcount != 1:
            raise ConcurrentUpdate
        return 1
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


def save_conversations(session: Connection, *, saves: Sequence[PendingSave]) -> None:
    """``save_conversation`` for many (a batch of reminders) in three statements, however
    many there are. Raises ConcurrentUpdate if any changed since it was read, and the
    caller rolls the batch back. The revisions are read with the rows locked (FOR UPDATE
    on PostgreSQL; SQLite has one writer), so the update that follows cannot meet a
    newer one."""
    now = utcnow()
    later = {pid: (state, revision) for pid, state, revision in saves if revision}
    if later:
        found = dict(session.execute(_REVISIONS, {"pids": list(later)}).tuples().all())
        if any(found.get(pid) != revision for pid, (_, revision) in later.items()):
            raise ConcurrentUpdate
        session.execute(
            _SAVE,
            [
                {"pid": pid, "rev": rev, "doc": state.to_json(), "new_rev": rev + 1, "now": now}
                for pid, (state, rev) in later.items()
            ],
        )
    firsts = [
        {"patient_id": pid, "state": state.to_json(), "revision": 1, "updated_at": now}
        for pid, state, revision in saves
        if not revision
    ]
    if firsts:
        written = session.execute(_FIRST_MANY[session.dialect.name], firsts).all()
        if len(written) != len(firsts):
            raise ConcurrentUpdate


def conversation_updated_at(session: Connection, *, patient_id: int) -> datetime | None:
    """When the patient's conversation last moved (None: it has none)."""
    found = session.execute(
        select(Conversation.updated_at).where(Conversation.patient_id == patient_id)
    ).scalar_one_or_none()
    return as_utc(found) if found is not None else None
