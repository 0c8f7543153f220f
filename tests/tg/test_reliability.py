"""Redelivered updates, blocked patients, network trouble, errors and restarts."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.flow.library import FlowLibrary
from bot.shared.messages import Button, OutboundMessage
from bot.tg.log_refs import chat_ref
from bot.tg.runner import channel_of, running_bot
from bot.tg.sender import Sender
from tests.tg.conftest import FAST_RETRIES, Patients, agree, eventually, say, settle, tap
from tests.tg_emulator import BotApiEmulator


async def test_a_redelivered_update_is_handled_once(app: Application, emu: BotApiEmulator) -> None:
    user = emu.user(3001)
    await agree(user)
    agreed, pressed = len(user.sent()), len(emu.calls("answerCallbackQuery"))
    await say(user, "/example", count=2)
    answer = await user.press("Angry")
    await user.wait_for_reply()
    # Telegram delivers the same update again (as after a crash before confirming it).
    await app.update_queue.put(Update.de_json(answer.payload, app.bot))
    await settle(emu, 0.4)
    assert len(user.sent()) == agreed + 3
    # the repeated press is still answered
    assert len(emu.calls("answerCallbackQuery")) == pressed + 2
    (halt,) = await tap(user, "6")
    assert "Tap all that fit" in halt.text


async def test_a_patient_who_blocked_the_bot_is_marked_inactive_until_they_write(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(3002)
    await agree(user)
    await say(user, "/menu")
    emu.block(user.user_id)
    await user.send("/help")

    async def inactive() -> bool:
        patient = await patients.find(user.chat_id)
        return patient is not None and not patient.active

    await eventually(inactive)
    assert channel_of(app).is_blocked(user.chat_id)
    forbidden = [c for c in emu.call_log if c.status == 403]
    assert len(forbidden) == 1  # no retries into a blocked chat

    emu.unblock(user.user_id)
    (help_text,) = await say(user, "/help")
    assert "/sos" in help_text.text
    patient = await patients.find(user.chat_id)
    assert patient is not None and patient.active


async def test_blocking_seen_as_a_membership_change_marks_inactive(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(3003)
    await agree(user)
    await say(user, "/menu")
    await user.block_bot()

    async def inactive() -> bool:
        patient = await patients.find(user.chat_id)
        return patient is not None and not patient.active

    await eventually(inactive)
    await user.unblock_bot()
    (menu,) = await say(user, "/menu")
    assert menu.buttons


async def test_a_network_failure_is_retried_then_logged(
    app: Application, emu: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    user = emu.user(3004)
    emu.fail_next("sendMessage", count=2, status=502, description="Bad Gateway")
    (menu,) = await say(user, "/menu")
    assert menu.buttons

    caplog.set_level(logging.WARNING, logger="bot.tg")
    emu.fail_next("sendMessage", count=10, status=502, description="Bad Gateway")
    await user.send("/help")
    await emu.wait_for(lambda: any("send failed" in r.getMessage() for r in caplog.records))
    failure = next(r for r in caplog.records if "send failed" in r.getMessage())
    assert failure.levelno == logging.ERROR
    assert f"chat={chat_ref(user.chat_id)}" in failure.getMessage()
    assert str(user.chat_id) not in failure.getMessage()


async def test_an_error_is_logged_without_text_and_the_patient_gets_an_apology(
    app: Application, emu: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    user = emu.user(3005)
    service = channel_of(app).coach.service

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(" ".join(("private", "words")))  # as if it held the patient's text

    service.handle = broken  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    update = await user.send("my secret sentence")
    (apology,) = await user.wait_for_reply()
    assert "something went wrong" in apology.text
    (record,) = [r for r in caplog.records if "update failed" in r.getMessage()]
    assert f"update={update.update_id}" in record.getMessage()
    assert "RuntimeError" in record.getMessage()
    for r in caplog.records:
        assert "secret sentence" not in r.getMessage()
        assert "private words" not in r.getMessage()


@pytest.mark.parametrize("typed", ["I want to kill myself", "/sos"])
async def test_a_crisis_whose_handling_fails_still_gets_the_help_lines(
    app: Application, emu: BotApiEmulator, typed: str
) -> None:
    user = emu.user(3006)
    service = channel_of(app).coach.service

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("not a database error")

    service.handle = broken  # type: ignore[method-assign]
    await user.send(typed)
    replies = await user.wait_for_reply()
    said = "\n".join(m.text for m in replies)
    assert "988" in said and "something went wrong" not in said


async def test_a_long_text_is_split_at_paragraphs_with_buttons_on_the_last_part(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(3006)
    paragraph = "<b>Step</b> " + "breathe &amp; notice " * 40
    text = "\n\n".join(f"{i}. {paragraph}" for i in range(20))
    assert len(text) > 3 * 4096
    message = OutboundMessage(text, buttons=((Button("Menu", token="sys:menu"),),))
    await Sender(app.bot).send(user.chat_id, message)
    parts = user.sent()
    assert len(parts) == 5  # four paragraphs of ~860 characters fit in one message
    assert all(len(p.text) <= 4096 for p in parts)
    assert [p.buttons for p in parts] == [[], [], [], [], [["Menu"]]]
    assert all(p.text.split(". ", 1)[0].isdigit() for p in parts)  # cut at paragraphs
    assert sum(p.text.count("breathe & notice") for p in parts) == 20 * 40


async def test_a_restart_mid_flow_resumes_at_the_same_step(
    emu: BotApiEmulator, tg_settings: Settings, tg_library: FlowLibrary, patients: Patients
) -> None:
    user = emu.user(3007)
    async with running_bot(tg_settings, tg_library, retry_delays=FAST_RETRIES):
        await agree(user)
        agreed = len(user.sent())
        await say(user, "/example", count=2)
        await tap(user, "Low")
        (halt,) = await say(user, "7")
    async with running_bot(tg_settings, tg_library, retry_delays=FAST_RETRIES):
        await user.press_in(halt.message_id, "Hungry")
        await emu.wait_for(lambda: halt.buttons[0][0] == "✓ Hungry")
        (thought,) = await tap(user, "Done ✓")
        assert "thought" in thought.text
    await asyncio.sleep(0)
    assert len(user.sent()) == agreed + 5


async def test_the_running_bot_prunes_old_update_ids_on_a_schedule(app: Application) -> None:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name("prune")
    await job.run(app)  # what the hourly tick does; it must not fail on a fresh database
