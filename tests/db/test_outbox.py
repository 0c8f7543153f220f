"""The outbox's SQL on a real SQLite file and on PostgreSQL: leases, claims, hand-backs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.db import outbox
from bot.db.migrate import upgrade_to_head
from bot.db.models import utcnow
from bot.db.session import Database
from bot.shared.messages import Button, OutboundMessage


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await upgrade_to_head(db)
    yield db
    await db.dispose()


def turn(*texts: str, pause_at: int | None = None) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            t,
            buttons=((Button("Yes", token="q:1"), Button("Book", url="https://x.test")),),
            pause_before=4.0 if i == pause_at else 0.0,
        )
        for i, t in enumerate(texts)
    ]


async def test_a_turn_is_leased_to_its_writer_and_comes_back_whole_after_the_lease(
    database: Database,
) -> None:
    now = utcnow()
    written = await database.transaction(
        lambda c: outbox.queue(
            c,
            channel="t",
            chat_id="7",
            messages=turn("a", "b", "c", pause_at=2),
            owner="A",
            now=now,
        )
    )
    assert [r.paced for r in written] == [False, False, True]
    # While A's lease runs nobody else takes them.
    assert await database.transaction(lambda c: outbox.claim_due(c, channel="t", owner="B")) == []
    later = now + outbox.LEASE + timedelta(seconds=5)  # the lease covers the pauses too
    claimed = await database.transaction(
        lambda c: outbox.claim_due(c, channel="t", owner="B", now=later)
    )
    assert [r.message for r in claimed] == turn("a", "b", "c", pause_at=2)  # buttons, pauses
    assert [r.id for r in claimed] == [r.id for r in written]
    assert await database.transaction(lambda c: outbox.pending_count(c)) == 3
    await database.transaction(lambda c: outbox.sent(c, ids=[r.id for r in claimed]))
    assert await database.transaction(lambda c: outbox.pending_count(c)) == 0


async def test_a_new_turn_replaces_what_the_chat_still_had_waiting(database: Database) -> None:
    await database.transaction(
        lambda c: outbox.queue(c, channel="t", chat_id="7", messages=turn("old"), owner="A")
    )
    await database.transaction(
        lambda c: outbox.queue(c, channel="t", chat_id="8", messages=turn("other"), owner="A")
    )
    # Not while A holds them (sending, or sent and not yet deleted); once handed back, yes.
    assert not await database.transaction(
        lambda c: outbox.has_unreceived(c, channel="t", chat_id="7")
    )
    after_lease = utcnow() + outbox.LEASE * 2
    assert await database.transaction(
        lambda c: outbox.has_unreceived(c, channel="t", chat_id="7", now=after_lease)
    )
    await database.transaction(
        lambda c: outbox.queue(c, channel="t", chat_id="7", messages=turn("new"), owner="A")
    )
    later = utcnow() + outbox.LEASE * 2
    claimed = await database.transaction(
        lambda c: outbox.claim_due(c, channel="t", owner="B", now=later)
    )
    assert sorted(r.message.text for r in claimed) == ["new", "other"]


async def test_only_the_paced_rest_of_a_turn_is_not_unreceived(database: Database) -> None:
    rows = await database.transaction(
        lambda c: outbox.queue(
            c, channel="t", chat_id="7", messages=turn("a", "cue", pause_at=1), owner="A"
        )
    )
    await database.transaction(lambda c: outbox.sent(c, ids=[rows[0].id]))
    after_lease = utcnow() + outbox.LEASE * 2
    assert not await database.transaction(
        lambda c: outbox.has_unreceived(c, channel="t", chat_id="7", now=after_lease)
    )


async def test_a_rate_limited_chat_waits_and_then_any_process_may_send_it(
    database: Database,
) -> None:
    rows = await database.transaction(
        lambda c: outbox.queue(c, channel="t", chat_id="7", messages=turn("a", "b"), owner="A")
    )
    ids = [r.id for r in rows]
    until = utcnow() + timedelta(seconds=3)
    handed = await database.transaction(
        lambda c: outbox.retry_later(c, ids=ids, owner="A", not_before=until, failed=False)
    )
    assert handed == 2
    assert await database.transaction(lambda c: outbox.claim_due(c, channel="t", owner="B")) == []
    claimed = await database.transaction(
        lambda c: outbox.claim_due(c, channel="t", owner="B", now=until + timedelta(seconds=1))
    )
    assert [r.id for r in claimed] == ids and all(r.attempts == 0 for r in claimed)
    # A failure counts an attempt (its back-off grows); only the holder can hand rows back.
    assert (
        await database.transaction(
            lambda c: outbox.retry_later(c, ids=ids, owner="A", not_before=until)
        )
        == 0
    )
    await database.transaction(
        lambda c: outbox.retry_later(c, ids=ids, owner="B", not_before=until)
    )
    again = await database.transaction(
        lambda c: outbox.claim_due(c, channel="t", owner="C", now=until + timedelta(seconds=1))
    )
    assert [r.attempts for r in again] == [1, 1]


async def test_two_processes_draining_at_once_never_take_the_same_row(
    database_url: str, database: Database
) -> None:
    for chat in range(40):
        await database.transaction(
            lambda c, chat=chat: outbox.queue(
                c, channel="t", chat_id=str(chat), messages=turn("a", "b"), owner="dead"
            )
        )
    other = Database(database_url)
    later = utcnow() + outbox.LEASE * 2
    try:
        first, second = await asyncio.gather(
            database.transaction(
                lambda c: outbox.claim_due(c, channel="t", owner="A", now=later, limit=50)
            ),
            other.transaction(
                lambda c: outbox.claim_due(c, channel="t", owner="B", now=later, limit=50)
            ),
        )
        rest = await other.transaction(
            lambda c: outbox.claim_due(c, channel="t", owner="B", now=later, limit=100)
        )
    finally:
        await other.dispose()
    taken = [r.id for r in first + second + rest]
    assert len(taken) == len(set(taken)) == 80


async def test_the_depth_gauge_is_read_from_the_database_at_each_scrape(
    database: Database,
) -> None:
    from bot import metrics
    from bot.coach.health import read_outbox_depth

    def depth() -> float:
        return metrics.REGISTRY.get_sample_value("coach_outbox_depth") or 0.0

    await database.transaction(
        lambda c: outbox.queue(c, channel="t", chat_id="7", messages=turn("a", "b"), owner="A")
    )
    await read_outbox_depth(database, "t")
    assert depth() == 2  # what is waiting now, whoever drains it
    await database.transaction(lambda c: outbox.forget_chat(c, channel="t", chat_id="7"))
    await read_outbox_depth(database, "t")
    assert depth() == 0
