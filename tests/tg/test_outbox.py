"""Replies that survive Telegram failing: 429s waited out per chat, 500s and reset
connections retried from the outbox, and an answer typed before its question arrived.

Every patient first goes through /start and consents, as a real one would.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select
from telegram.ext import Application

from bot.db import outbox
from bot.db.models import OutboxMessage
from bot.tg.runner import channel_of
from tests.tg.conftest import eventually, say, tap
from tests.tg_emulator import BotApiEmulator, EmulatedUser

MOOD = "How is your mood today"
ANXIETY = "How anxious have you felt today"
CRAVING = "How strong have cravings been today"


async def consented(user: EmulatedUser) -> None:
    """/start, consent, a name, Central time, no check-ins: stored from here on."""
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")
    await say(user, "Sam")
    await tap(user, "Central")
    (welcome,) = await tap(user, "No")
    assert "/sos" in welcome.text


async def depth(app: Application) -> int:
    database = channel_of(app).coach.service.database
    return await database.transaction(lambda c: outbox.pending_count(c))


def calls_to(emu: BotApiEmulator, chat_id: int, status: int) -> int:
    return sum(
        1
        for c in emu.call_log
        if c.method == "sendMessage"
        and str(c.params.get("chat_id")) == str(chat_id)
        and c.status == status
    )


async def test_a_429_is_waited_out_as_long_as_telegram_asks_and_only_that_chat_waits(
    app: Application, emu: BotApiEmulator
) -> None:
    limited, other = emu.user(5001), emu.user(5002)
    await consented(limited)
    await consented(other)
    emu.fail_for(
        "sendMessage",
        3.0,
        status=429,
        description="Too Many Requests: retry after 2",
        retry_after=2,
        chat_id=limited.chat_id,
    )
    started = time.monotonic()
    await limited.send("/checkin")
    (theirs,) = await say(other, "/checkin", timeout=1.5)  # not held up by the other's 429
    assert MOOD in theirs.text
    (mood,) = await limited.wait_for_reply(timeout=10)
    waited = time.monotonic() - started
    assert MOOD in mood.text
    assert waited >= 3.0  # two retry_after waits of 2 s: never earlier than Telegram asked
    assert calls_to(emu, limited.chat_id, 429) == 2  # no hammering in between
    await eventually(lambda: _no_rows(app))


async def test_500s_for_seconds_lose_no_reply(app: Application, emu: BotApiEmulator) -> None:
    users = [emu.user(5100 + i) for i in range(4)]
    for user in users:
        await consented(user)
        await say(user, "/checkin")
    emu.fail_for("sendMessage", 4.0, status=500)
    for user in users:
        await user.send("5")
    for user in users:
        (anxiety,) = await user.wait_for_reply(timeout=20)
        assert ANXIETY in anxiety.text
    for user in users:  # and each goes on from the question it was shown
        (craving,) = await say(user, "4")
        assert CRAVING in craving.text
    await eventually(lambda: _no_rows(app))


async def test_reset_connections_lose_no_reply(app: Application, emu: BotApiEmulator) -> None:
    user = emu.user(5200)
    await consented(user)
    await say(user, "/checkin")
    emu.fail_for("sendMessage", 3.0, drop=True)
    await user.send("5")
    (anxiety,) = await user.wait_for_reply(timeout=20)
    assert ANXIETY in anxiety.text
    assert any(c.description == "connection dropped" for c in emu.call_log)


async def test_an_answer_retyped_before_its_question_arrived_is_not_the_next_answer(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(5300)
    await consented(user)
    await say(user, "/checkin")
    emu.fail_for("sendMessage", 2.5, status=500, chat_id=user.chat_id)
    await user.send("5")  # stored; the anxiety question cannot reach the patient yet
    await eventually(lambda: _handed_back(app))  # waiting in the outbox, held by no one
    await user.send("5")  # no answer came, so they type it again: still the mood
    (anxiety,) = await user.wait_for_reply(timeout=20)
    assert ANXIETY in anxiety.text
    await asyncio.sleep(0.5)
    assert len(user.sent()) == len([m for m in user.sent() if m.text]) and ANXIETY in (
        user.sent()[-1].text or ""
    )
    (craving,) = await say(user, "3")  # the anxiety answer is the one typed after it came
    assert CRAVING in craving.text


async def _handed_back(app: Application) -> bool:
    database = channel_of(app).coach.service.database
    owners = await database.transaction(
        lambda c: list(c.execute(select(OutboxMessage.lease_owner)).scalars())
    )
    return bool(owners) and all(owner is None for owner in owners)


async def test_breathing_cues_wait_in_the_outbox_and_cancel_drops_them(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(5400)
    await consented(user)
    (intro,) = await say(user, "/breathe")
    (breathe_in,) = await tap(user, intro.buttons[0][0])
    assert "Breathe in" in breathe_in.text
    assert await depth(app) > 0  # the cues still to come survive a restart
    await say(user, "/cancel")
    await eventually(lambda: _no_rows(app))
    sent = len(user.sent())
    await asyncio.sleep(4.5)  # the next cue would have come by now
    assert len(user.sent()) == sent


async def _no_rows(app: Application) -> bool:
    return await depth(app) == 0
