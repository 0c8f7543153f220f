"""Chat locks on PostgreSQL: many taken in one statement, held until the transaction ends."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.db.locks import chat_lock_name, lock_chat, lock_chats, lock_key
from bot.db.session import create_engine

CHATS = [("telegram", "11"), ("telegram", "12"), ("telegram", "13")]


def _free(key: int):  # type: ignore[no-untyped-def]
    """In another transaction: whether the lock ``key`` can be taken now."""
    return text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=key)


async def test_many_chats_are_locked_at_once_until_the_transaction_ends(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite lets one writer in at a time: it takes no chat locks")
    engine = create_engine(database_url)
    keys = [lock_key(chat_lock_name(*chat)) for chat in CHATS]
    try:
        async with engine.connect() as other:
            async with engine.begin() as holder:
                await holder.run_sync(lambda c: lock_chats(c, [*CHATS, CHATS[0]]))
                held = await holder.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND pid = pg_backend_pid()"
                    )
                )
                assert held == len(CHATS)  # a chat named twice is locked once
                for key in keys:
                    assert await other.scalar(_free(key)) is False
                    await other.rollback()
                # An event of one of these chats waits for the batch to commit.
                waiting = asyncio.ensure_future(_one_chat_step(engine, *CHATS[1]))
                await asyncio.sleep(0.3)
                assert not waiting.done()
            await asyncio.wait_for(waiting, 5)
            for key in keys:
                assert await other.scalar(_free(key)) is True
                await other.rollback()
            async with engine.begin() as nothing:
                await nothing.run_sync(lambda c: lock_chats(c, []))
    finally:
        await engine.dispose()


async def _one_chat_step(engine, channel: str, external_id: str) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: lock_chat(c, channel=channel, external_id=external_id))
