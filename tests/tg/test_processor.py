"""The update processor: one update per chat at a time, in order, and a bounded number
running at once, taken after the chat's lock (bot.tg.processor)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from bot.tg.processor import PerChatUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(id=chat_id, type="private")
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat))


async def test_no_more_than_at_once_run_and_the_rest_wait() -> None:
    processor = PerChatUpdateProcessor(at_once=2)
    running, most = 0, 0
    release = asyncio.Event()

    async def step() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1

    tasks = [
        asyncio.create_task(processor.process_update(_update(i, chat_id=i), step()))
        for i in range(6)
    ]
    await asyncio.sleep(0.05)
    assert running == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2


async def test_a_burst_from_one_chat_does_not_hold_the_others_up() -> None:
    processor = PerChatUpdateProcessor(at_once=2)
    order: list[str] = []
    first_may_end = asyncio.Event()

    async def step(name: str, wait: asyncio.Event | None = None) -> None:
        order.append(f"start {name}")
        if wait is not None:
            await wait.wait()
        order.append(f"end {name}")

    burst = [
        asyncio.create_task(
            processor.process_update(
                _update(i, chat_id=1), step(f"a{i}", first_may_end if i == 0 else None)
            )
        )
        for i in range(5)
    ]
    await asyncio.sleep(0.02)
    other = asyncio.create_task(processor.process_update(_update(99, chat_id=2), step("b")))
    await asyncio.wait_for(other, timeout=1)  # chat 2 ran while chat 1's first still waits
    assert order == ["start a0", "start b", "end b"]
    first_may_end.set()
    await asyncio.gather(*burst)
    a_steps = [entry for entry in order if entry.split()[1].startswith("a")]
    assert a_steps == [f"{edge} a{i}" for i in range(5) for edge in ("start", "end")]
