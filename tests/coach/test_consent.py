"""Consent that stores nothing: without a "yes" at /start no row carries the chat's id.

Each test reads every table afterwards (and, on SQLite, the raw bytes of the database file
and its -wal) for the chat's id and what the patient typed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import Connection, make_url

from bot.coach.passing import PassingConversations
from bot.coach.service import CoachService
from bot.db.crypto import SharedSecret
from bot.db.models import JournalEntry, PassingConversation, Patient, SafetyEventRow
from bot.flow.library import FlowLibrary
from bot.shared.conversation import Frame
from bot.shared.messages import Inbound
from tests.coach.helpers import agree, button, decline
from tests.db.test_storage import count

CHAT = "731904562"  # a chat id no other value in these tests contains


def _every_row(connection: Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, as read back from the database."""
    tables = MetaData()
    tables.reflect(connection)
    return {
        name: [tuple(row) for row in connection.execute(select(table))]
        for name, table in tables.tables.items()
    }


async def _rows_naming(service: CoachService, *needles: str) -> list[str]:
    """Table and row of every stored value that contains one of ``needles``."""
    rows = await service.database.transaction(_every_row)
    return [
        f"{table}: {row}"
        for table, found in rows.items()
        for row in found
        if any(needle in str(value) for value in row for needle in needles)
    ]


def _file_bytes(service: CoachService) -> bytes:
    """The SQLite file and its -wal as they are on disk (empty for PostgreSQL)."""
    url = make_url(service.database.url)
    if url.get_backend_name() != "sqlite":
        return b""
    path = Path(url.database or "")
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _said(reply: object) -> str:
    return "\n".join(m.text for m in reply.messages)  # type: ignore[attr-defined]


def _files(reply: object) -> str:
    """What /export sends as files (the JSON, the CSV, the FHIR bundle), as text."""
    messages = reply.messages  # type: ignore[attr-defined]
    return "\n".join(m.attachment.data.decode() for m in messages if m.attachment is not None)


async def test_declined_then_message_checkin_and_export_store_nothing_of_the_chat(
    service: CoachService,
) -> None:
    await decline(service, CHAT)
    await service.handle(CHAT, Inbound.message("hello, it's a rough day"), update_id=901)
    checkin = await service.handle(CHAT, Inbound.message("/checkin"), update_id=902)
    needs_start = service.engine.library.content.get("system.needs_start")
    assert needs_start.split("\n")[0] in _said(checkin)
    export = await service.handle(CHAT, Inbound.message("/export"), update_id=903)
    assert _said(export) == service.engine.library.content.get("system.export_empty")

    assert await _rows_naming(service, CHAT, "rough day") == []
    assert await count(service, Patient) == 0
    assert CHAT.encode() not in _file_bytes(service)
    assert b"rough day" not in _file_bytes(service)


async def test_a_chat_that_never_sent_start_runs_an_exercise_and_nothing_is_stored(
    service: CoachService,
) -> None:
    started = await service.handle(CHAT, Inbound.message("/surf"))
    assert "0" in [b.label for m in started.messages for row in m.buttons for b in row]
    rated = await service.handle(CHAT, Inbound.press(button(started.messages, "7")))
    where = service.engine.library.content.get("urge_surfing.ask_where")
    assert where[:30] in _said(rated)  # the exercise moved on: its place is kept in memory
    typed = await service.handle(CHAT, Inbound.message("a knot in my stomach"))
    breathe = service.engine.library.content.get("urge_surfing.breathe")
    assert breathe[:30] in _said(typed)  # the typed answer was read as the answer

    assert await _held(service, CHAT)  # its place in the exercise, kept unnamed
    assert await _rows_naming(service, CHAT, "knot in my stomach") == []
    assert await count(service, Patient) == 0
    assert b"knot in my stomach" not in _file_bytes(service)


async def test_exercises_that_keep_answers_ask_for_start_and_save_nothing(
    service: CoachService,
) -> None:
    for command in ("/checkin", "/plan", "/reminders", "/trigger", "/reframe"):
        reply = await service.handle(CHAT, Inbound.message(command))
        assert "/start" in _said(reply), command
    menu = await service.handle(CHAT, Inbound.message("/menu"))
    learn = await service.handle(
        CHAT, Inbound.press(button(menu.messages, "Learn: kratom and your health"))
    )
    assert learn.messages  # a flow without saved answers opens from the menu
    assert await count(service, Patient) == 0 and await count(service, JournalEntry) == 0


async def test_a_crisis_from_an_unconsented_chat_gets_help_and_an_anonymous_count(
    service: CoachService,
) -> None:
    reply = await service.handle(CHAT, Inbound.message("I want to kill myself"))
    assert "988" in _said(reply)
    sos = await service.handle(CHAT, Inbound.message("/sos"))
    assert "988" in _said(sos)
    events = await service.database.transaction(
        lambda c: list(c.execute(select(SafetyEventRow.patient_id, SafetyEventRow.category)))
    )
    assert events == [(None, "suicide")]  # counted, with no patient
    assert await count(service, Patient) == 0
    assert await _rows_naming(service, CHAT, "kill myself") == []


async def test_an_edited_crisis_message_of_an_unconsented_chat_is_counted_anonymously(
    service: CoachService,
) -> None:
    found = service.crisis_in_edit("I took all my pills")
    assert found is not None
    await service.record_safety_event(CHAT, found[0])
    events = await service.database.transaction(
        lambda c: list(c.execute(select(SafetyEventRow.patient_id)))
    )
    assert events == [(None,)] and await count(service, Patient) == 0


async def test_a_later_yes_stores_from_then_on(service: CoachService) -> None:
    await decline(service, CHAT)
    await service.handle(CHAT, Inbound.message("/surf"))  # still nothing stored
    assert await count(service, Patient) == 0
    await agree(service, CHAT)
    patients = await service.database.transaction(
        lambda c: list(c.execute(select(Patient.external_id, Patient.consent)))
    )
    assert patients == [(CHAT, True)]
    assert not await _held(service, CHAT)  # the conversation lives in its own row now
    reply = await service.handle(CHAT, Inbound.message("/checkin"))
    assert "/start" not in _said(reply)
    export = await service.handle(CHAT, Inbound.message("/export"))
    assert '"consent": true' in _files(export)


async def test_the_yes_itself_is_the_first_stored_step(service: CoachService) -> None:
    hello = await service.handle(CHAT, Inbound.message("/start"))
    consent = await service.handle(CHAT, Inbound.press(button(hello.messages, "Okay, go on")))
    assert await count(service, Patient) == 0  # reading what is stored is not agreeing
    await service.handle(CHAT, Inbound.press(button(consent.messages, "Yes")))
    assert await count(service, Patient) == 1
    name = await service.handle(CHAT, Inbound.message("Robin"))  # onboarding goes on, stored
    assert "time zone" in _said(name)


async def test_saying_no_later_deletes_what_was_stored_and_stores_nothing_after(
    service: CoachService,
) -> None:
    await agree(service, CHAT)
    await decline(service, CHAT)
    assert await count(service, Patient) == 0
    await service.handle(CHAT, Inbound.message("/surf"))
    assert await _rows_naming(service, CHAT) == []


async def test_the_rows_of_another_chat_are_not_touched(service: CoachService) -> None:
    await agree(service, "other")
    await service.handle(CHAT, Inbound.message("/surf"))
    rows = await service.database.transaction(
        lambda c: list(c.execute(text("SELECT external_id FROM patients")))
    )
    assert rows == [("other",)]


async def _held(service: CoachService, chat: str) -> bool:
    return await service.database.transaction(
        lambda c: service.passing.holds(c, service.channel, chat)
    )


async def test_a_place_is_sealed_unnamed_and_read_by_every_process_of_the_bot(
    service: CoachService,
) -> None:
    here = PassingConversations(SharedSecret(b"123456:bot-token"))
    there = PassingConversations(
        SharedSecret(b"123456:bot-token")
    )  # another process of the same bot
    stranger = PassingConversations(SharedSecret(b"654321:other-bot"))
    state = PassingConversations.fresh()
    state.question_number = 41
    state.frames = [Frame("urge_surfing", 1, "locate", {"body_spot": "a knot in my stomach"})]
    await service.database.transaction(lambda c: here.keep(c, "telegram", CHAT, state))

    read = await service.database.transaction(lambda c: there.get(c, "telegram", CHAT))
    assert read.question_number == 41
    assert read.frames[0].variables == {"body_spot": "a knot in my stomach"}
    other = await service.database.transaction(lambda c: stranger.get(c, "telegram", CHAT))
    assert other.frames == []  # another bot cannot find it, nor open it
    assert await _rows_naming(service, CHAT, "knot in my stomach") == []
    assert b"knot in my stomach" not in _file_bytes(service)

    read.question_number = 42  # the engine's change counts only once kept
    again = await service.database.transaction(lambda c: here.get(c, "telegram", CHAT))
    assert again.question_number == 41
    await service.database.transaction(lambda c: here.forget(c, "telegram", CHAT))
    assert not await service.database.transaction(lambda c: there.holds(c, "telegram", CHAT))


async def test_a_place_kept_under_the_old_secret_moves_to_the_new_one(
    service: CoachService,
) -> None:
    """A change of secret (COACH_SECRET set, the token changed) keeps every chat's place."""
    before = PassingConversations(SharedSecret(b"123456:bot-token"))
    after = PassingConversations(SharedSecret(b"a dedicated secret", old=(b"123456:bot-token",)))
    state = PassingConversations.fresh()
    state.question_number = 7
    await service.database.transaction(lambda c: before.keep(c, "telegram", CHAT, state))

    read = await service.database.transaction(lambda c: after.get(c, "telegram", CHAT))
    assert read.question_number == 7
    assert await service.database.transaction(lambda c: after.holds(c, "telegram", CHAT))
    await service.database.transaction(lambda c: after.keep(c, "telegram", CHAT, read))
    assert not await service.database.transaction(lambda c: before.holds(c, "telegram", CHAT))
    newer = PassingConversations(SharedSecret(b"a dedicated secret"))
    moved = await service.database.transaction(lambda c: newer.get(c, "telegram", CHAT))
    assert moved.question_number == 7


async def test_a_sealed_place_copied_into_another_chats_row_does_not_open(
    service: CoachService,
) -> None:
    """Each sealed conversation is bound to its own row's key (AES-GCM associated data)."""
    held = PassingConversations(SharedSecret(b"123456:bot-token"))
    state = PassingConversations.fresh()
    state.frames = [Frame("urge_surfing", 1, "locate", {"body_spot": "my chest"})]
    await service.database.transaction(lambda c: held.keep(c, "telegram", CHAT, state))
    other = "731904563"
    await service.database.transaction(
        lambda c: held.keep(c, "telegram", other, PassingConversations.fresh())
    )
    table = PassingConversation.__table__
    mine, theirs = held.key_of("telegram", CHAT), held.key_of("telegram", other)

    def copy(connection: Connection) -> None:
        sealed = connection.execute(
            select(table.c.sealed).where(table.c.chat_key == mine)
        ).scalar_one()
        connection.execute(table.update().where(table.c.chat_key == theirs).values(sealed=sealed))

    await service.database.transaction(copy)
    moved = await service.database.transaction(lambda c: held.get(c, "telegram", other))
    assert moved.frames == []  # a fresh conversation, not the other chat's
    kept = await service.database.transaction(lambda c: held.get(c, "telegram", CHAT))
    assert kept.frames[0].variables == {"body_spot": "my chest"}


async def test_a_place_idle_two_hours_is_gone_and_pruned(service: CoachService) -> None:
    held = PassingConversations(SharedSecret(b"123456:bot-token"))
    then = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    state = PassingConversations.fresh()
    state.frames = [Frame("urge_surfing", 1, "locate", {})]
    await service.database.transaction(lambda c: held.keep(c, "telegram", CHAT, state, now=then))
    soon = then + timedelta(hours=1, minutes=59)
    later = then + timedelta(hours=2, minutes=1)
    assert await service.database.transaction(lambda c: held.holds(c, "telegram", CHAT, now=soon))
    gone = await service.database.transaction(lambda c: held.get(c, "telegram", CHAT, now=later))
    assert gone.frames == []
    assert await service.database.transaction(lambda c: held.prune(c, now=soon)) == 0
    assert await service.database.transaction(lambda c: held.prune(c, now=later)) == 1


def test_fresh_conversations_start_at_different_question_numbers() -> None:
    numbers = {PassingConversations.fresh().question_number for _ in range(20)}
    assert len(numbers) > 1  # an old button of a forgotten conversation is stale


def test_the_skills_offered_without_start_keep_no_answers(library: FlowLibrary) -> None:
    said = library.content.get("system.needs_start")
    commands = [word.strip(".,") for word in said.split() if word.startswith("/")]
    offered = [c[1:] for c in commands if c not in ("/start", "/sos", "/book")]
    assert offered
    for command in offered:
        compiled = library.by_command(command)
        assert compiled is not None, command
        assert not compiled.keeps_answers, command


@pytest.mark.parametrize("flow_id", ["onboarding"])
def test_the_consent_flow_itself_runs_without_consent(library: FlowLibrary, flow_id: str) -> None:
    assert not library.flows[flow_id].keeps_answers
    assert library.flows["checkin"].keeps_answers
