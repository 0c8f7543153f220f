"""Storage through the service, on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import functools

import pytest
from sqlalchemy import func, select

from bot.coach.service import CoachService, Reply
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.models import Conversation, JournalEntry, Patient
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound
from tests.coach.helpers import agree, button


async def walk_example(service: CoachService, who: str) -> None:
    """Agree at /start (so it is stored), then the example flow up to its time zone."""
    await agree(service, who)
    opened = await service.handle(who, Inbound.message("/example"))
    await service.handle(who, Inbound.press(first_button(opened)))
    await service.handle(who, Inbound.message("All my fault"))
    believed = await service.handle(who, Inbound.message("60"))
    await service.handle(who, Inbound.press(button(believed.messages, "No")))
    await service.handle(who, Inbound.message("9pm"))


def first_button(reply: Reply) -> str:
    return str(reply.messages[-1].buttons[0][0].token)


async def count(service: CoachService, model) -> int:  # type: ignore[no-untyped-def]
    return await service.database.transaction(
        lambda c: int(c.execute(select(func.count()).select_from(model)).scalar_one())
    )


async def load(service: CoachService, who: str) -> store.LoadedConversation | None:
    return await service.database.transaction(
        lambda c: store.load_conversation(c, channel="test", external_id=who, create=False)
    )


async def test_steps_and_records_are_stored(service: CoachService) -> None:
    await walk_example(service, "p1")
    reply = await service.handle("p1", Inbound.message("Chicago"))
    assert reply.records and reply.stored
    assert reply.patient_id is not None
    patient_id = reply.patient_id
    (item,) = await service.database.transaction(lambda c: store.journal(c, patient_id=patient_id))
    assert item.kind == "example_entry" and item.data["thought"] == "All my fault"
    assert item.flow_version == 1


async def test_restart_resumes_at_the_same_step(database_url: str, engine: Engine) -> None:
    first = Database(database_url)
    await upgrade_to_head(first)
    await walk_example(CoachService(engine, first, "test"), "p2")
    await first.dispose()  # the process ends

    second = Database(database_url)
    await upgrade_to_head(second)  # start-up runs migrations again: a no-op
    service = CoachService(engine, second, "test")
    loaded = await load(service, "p2")
    assert loaded is not None and loaded.state.current is not None
    assert loaded.state.current.step == "zone"
    assert loaded.state.current.variables["thought"] == "All my fault"
    reply = await service.handle("p2", Inbound.message("Denver"))
    assert reply.records[0].data["zone"] == "America/Denver"
    await second.dispose()


async def test_redelivered_update_is_handled_once(service: CoachService) -> None:
    await agree(service, "p3")
    agreed = await load(service, "p3")
    assert agreed is not None
    first = await service.handle("p3", Inbound.message("/example"), update_id=41)
    again = await service.handle("p3", Inbound.message("/example"), update_id=41)
    assert first.messages and again.duplicate and not again.messages
    loaded = await load(service, "p3")
    assert loaded is not None and loaded.revision == agreed.revision + 1


async def test_old_update_ids_are_pruned_and_recent_ones_still_block_a_redelivery(
    service: CoachService,
) -> None:
    from datetime import timedelta

    from bot.db.models import ProcessedUpdate, utcnow

    await service.handle("p9", Inbound.message("/menu"), update_id=500)
    await service.handle("p9", Inbound.message("/menu"), update_id=501)
    await service.database.transaction(
        lambda c: c.execute(
            ProcessedUpdate.__table__.update()
            .where(ProcessedUpdate.update_id == 500)
            .values(processed_at=utcnow() - timedelta(days=8))
        )
    )
    pruned = await service.database.transaction(lambda c: store.prune_processed_updates(c))
    assert pruned == 1
    assert await count(service, ProcessedUpdate) == 1
    again = await service.handle("p9", Inbound.message("/menu"), update_id=501)
    assert again.duplicate


async def test_a_failed_step_stores_nothing(
    service: CoachService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await walk_example(service, "p4")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_safety_events", broken)
    with pytest.raises(RuntimeError):
        await service.handle("p4", Inbound.message("Chicago"))
    assert await count(service, JournalEntry) == 0
    loaded = await load(service, "p4")
    assert (
        loaded is not None
        and loaded.state.current is not None
        and loaded.state.current.step == "zone"
    )


async def test_concurrent_events_of_one_patient_lose_nothing(service: CoachService) -> None:
    await agree(service, "p5")
    opened = await service.handle("p5", Inbound.message("/example"))
    await service.handle("p5", Inbound.press(first_button(opened)))
    before = await load(service, "p5")
    assert before is not None
    # Two processes racing on the same conversation: one wins, the other retries on
    # the new revision, so both events are applied, one after the other.
    await asyncio.gather(
        service.handle("p5", Inbound.message("/help")),
        service.handle("p5", Inbound.message("/help")),
    )
    loaded = await load(service, "p5")
    assert loaded is not None and loaded.revision == before.revision + 2


async def test_many_patients_are_kept_apart(service: CoachService) -> None:
    await asyncio.gather(*(walk_example(service, f"many{i}") for i in range(8)))
    assert await count(service, Patient) == 8
    assert await count(service, Conversation) == 8


async def test_database_gone_gets_a_kind_answer_and_sos_still_works(
    engine: Engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    service = CoachService(engine, database, "test")
    reply = await service.handle("p6", Inbound.message("hello"))
    assert not reply.stored and "trouble reaching my notes" in reply.messages[0].text
    sos = await service.handle("p6", Inbound.message("/sos"))
    assert "988" in "\n".join(m.text for m in sos.messages)
    crisis = await service.handle("p6", Inbound.message("I want to kill myself"))
    assert "988" in "\n".join(m.text for m in crisis.messages)
    # A bare "yes" may answer a direct question the coach cannot look up: help lines first.
    yes = await service.handle("p6", Inbound.message("yes"))
    assert "988" in "\n".join(m.text for m in yes.messages[:-1])
    assert "trouble reaching my notes" in yes.messages[-1].text
    await database.dispose()


async def test_a_first_conversation_written_twice_is_a_concurrent_update(
    service: CoachService,
) -> None:
    """Two steps that both found no conversation: the second to write it is told so (and
    handles its event again); the first one's state stays."""
    from bot.shared.conversation import ConversationState

    def first_write(connection):  # type: ignore[no-untyped-def]
        loaded = store.load_conversation(connection, channel="test", external_id="twice")
        assert loaded is not None and loaded.revision == 0
        state = ConversationState()
        state.question_number = 11
        store.save_conversation(connection, patient_id=loaded.patient.id, state=state, revision=0)
        return loaded.patient.id

    patient_id = await service.database.transaction(first_write)

    def second_write(connection):  # type: ignore[no-untyped-def]
        store.save_conversation(
            connection, patient_id=patient_id, state=ConversationState(), revision=0
        )

    with pytest.raises(store.ConcurrentUpdate):
        await service.database.transaction(second_write)
    kept = await service.database.transaction(
        lambda c: store.load_conversation(c, channel="test", external_id="twice")
    )
    assert kept is not None and (kept.revision, kept.state.question_number) == (1, 11)


async def test_conversations_saved_together_are_all_written_or_none(
    service: CoachService,
) -> None:
    """A batch of reminders saves its conversations in one go: first ones and later ones
    alike; one that changed since it was read fails the whole batch (ConcurrentUpdate),
    and the transaction writes nothing of it."""
    from bot.shared.conversation import ConversationState

    def read(who: str):  # type: ignore[no-untyped-def]
        return lambda c: store.load_conversation(c, channel="test", external_id=who)

    def state(number: int) -> ConversationState:
        written = ConversationState()
        written.question_number = number
        return written

    first = await service.database.transaction(read("ana"))  # no conversation yet
    await service.database.transaction(
        lambda c: store.save_conversation(
            c, patient_id=first.patient.id, state=state(1), revision=0
        )
    )
    old, new = (
        await service.database.transaction(read("ana")),
        await service.database.transaction(read("ben")),
    )
    assert (old.revision, new.revision) == (1, 0)
    saves = [
        store.PendingSave(old.patient.id, state(2), old.revision),
        store.PendingSave(new.patient.id, state(3), new.revision),
    ]
    await service.database.transaction(lambda c: store.save_conversations(c, saves=saves))
    ana, ben = (
        await service.database.transaction(read("ana")),
        await service.database.transaction(read("ben")),
    )
    assert (ana.revision, ana.state.question_number) == (2, 2)
    assert (ben.revision, ben.state.question_number) == (1, 3)

    stale_first = [store.PendingSave(ana.patient.id, state(7), ana.revision)]
    cal = await service.database.transaction(read("cal"))
    for stale in (
        [*stale_first, store.PendingSave(ben.patient.id, state(8), 0)],  # ben has one now
        [
            store.PendingSave(cal.patient.id, state(9), 0),
            store.PendingSave(ana.patient.id, state(9), 1),
        ],
    ):
        with pytest.raises(store.ConcurrentUpdate):
            await service.database.transaction(functools.partial(_save_all, stale))
    after = [await service.database.transaction(read(who)) for who in ("ana", "ben", "cal")]
    assert [(a.revision, a.state.question_number) for a in after] == [(2, 2), (1, 3), (0, 0)]
    await service.database.transaction(lambda c: store.save_conversations(c, saves=[]))


def _save_all(saves: list[store.PendingSave], connection) -> None:  # type: ignore[no-untyped-def]
    store.save_conversations(connection, saves=saves)
