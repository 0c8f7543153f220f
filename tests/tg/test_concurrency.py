"""Many patients at once, one chat's updates in order, paced exercises in the background."""

from __future__ import annotations

import asyncio
import time

from telegram.ext import Application

from bot.tg.runner import channel_of
from tests.tg.conftest import Patients, agree, say, settle, tap
from tests.tg_emulator import BotApiEmulator, EmulatedUser


async def _example_by_text(user: EmulatedUser, thought: str) -> str:
    await say(user, "/example", count=2)
    await say(user, "low")
    await say(user, "3")
    await say(user, "none")
    await say(user, thought)
    await say(user, "50")
    await say(user, "no")
    await say(user, "9:00")
    summary, _, _ = await say(user, "Denver", count=3)
    return str(summary.text)


async def test_five_patients_at_once_each_see_only_their_own_conversation(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    users = [emu.user(4000 + i, f"P{i}") for i in range(5)]
    await asyncio.gather(*(agree(u) for u in users))
    summaries = await asyncio.gather(
        *(_example_by_text(u, f"thought number {u.user_id}") for u in users)
    )
    for user, summary in zip(users, summaries, strict=True):
        assert f"thought number {user.user_id}" in summary
        others = [m.text for m in user.sent() if "thought number" in (m.text or "")]
        assert all(f"thought number {user.user_id}" in text for text in others)
        (entry,) = await patients.journal(user.chat_id)
        assert entry.data["thought"] == f"thought number {user.user_id}"


async def test_one_chats_updates_are_handled_in_the_order_they_were_sent(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(4100)
    commands = ["/help", "/menu", "/cancel", "/book"] * 3
    for command in commands:
        await user.send(command)  # all queued before the bot answers any
    await emu.wait_for(lambda: len(user.sent()) == len(commands), timeout=10)
    starts = {
        "/help": "I'm your practice's skills coach",
        "/menu": "What would you like to do?",
        "/cancel": "There's no exercise running",
        "/book": "You can book your next appointment",
    }
    got = [m.text for m in user.sent()]
    assert [t.startswith(starts[c]) for c, t in zip(commands, got, strict=True)] == [True] * 12


async def test_a_breathing_pause_blocks_no_one_and_cancel_stops_the_rest(
    app: Application, emu: BotApiEmulator
) -> None:
    anxious, other = emu.user(4200), emu.user(4201)
    await agree(anxious)
    await say(anxious, "/example", count=2)
    await tap(anxious, "Anxious")
    started = time.monotonic()
    high, intro = await tap(anxious, "9", count=2)
    assert "That's a lot" in high.text
    assert "three slow breaths" in intro.text

    (menu,) = await say(other, "/menu")  # another patient, during the 2-second pause
    assert menu.text == "What would you like to do?"
    assert time.monotonic() - started < 1.5

    (breathe_in,) = await anxious.wait_for_reply(timeout=4)  # after the 2 seconds
    assert "Breathe in" in breathe_in.text
    assert time.monotonic() - started >= 1.9

    (cancelled,) = await say(anxious, "/cancel")  # during the 4-second pause
    assert "we've stopped that exercise" in cancelled.text
    # The rest of the sequence is gone: nothing is left that could send the next cue.
    assert not channel_of(app).delivery.running(anxious.chat_id)
    await asyncio.sleep(0.3)
    texts = [m.text for m in anxious.sent()]
    assert texts[-1] == cancelled.text
    assert not any("and out, slowly" in t for t in texts)
    await settle(emu, 0)


async def test_typing_during_breathing_cues_shows_the_question_it_did_not_answer(
    app: Application, emu: BotApiEmulator
) -> None:
    """A reply typed mid-sequence stops the cues and is not taken as the answer to the
    question that would have come after them: the patient sees that question now."""
    patient = emu.user(4300)
    (intro,) = await say(patient, "/breathe")
    (breathe_in,) = await tap(patient, intro.buttons[0][0])
    assert "Breathe in" in breathe_in.text

    interrupted, question = await say(patient, "I feel dizzy", count=2)  # in the 4 s pause
    assert "stopped the cues" in interrupted.text
    assert "Would you like another?" in question.text  # shown at last, with its buttons
    labels = [label for row in question.buttons for label in row]
    assert len(labels) == 2
    await asyncio.sleep(0.5)
    assert patient.sent()[-1].text == question.text  # no more cues arrive

    (answered,) = await tap(patient, labels[1])
    assert "stopped the cues" not in answered.text
    await settle(emu, 0)
