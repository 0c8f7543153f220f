"""Crisis safety through the real bot: the pause and resume of an exercise, the safety log,
and the on-call chat's notices (one per episode, name and category, never the words)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from telegram.ext import Application

from bot.config import Settings
from bot.db.models import SafetyEventRow
from bot.flow.library import FlowLibrary
from bot.tg.runner import running_bot
from tests.tg.conftest import FAST_RETRIES, Patients, _settings, agree, say, settle, tap
from tests.tg_emulator import BotApiEmulator, EmulatedUser

BOOKING = "https://example.org/book"
ONCALL = -100555
CRISIS = "I want to kill myself"
CRISIS_AGAIN = "i really want to die tonight"


async def events(patients: Patients, chat_id: int) -> list[tuple[str, str]]:
    patient = await patients.find(chat_id)
    assert patient is not None
    rows = await patients.database.transaction(
        lambda c: c.execute(
            select(SafetyEventRow.category, SafetyEventRow.rule_id).where(
                SafetyEventRow.patient_id == patient.id
            )
        ).all()
    )
    return [(r[0], r[1]) for r in rows]


async def test_crisis_mid_thought_record_pauses_it_and_it_resumes_at_the_same_question(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2001)
    await agree(user)
    await say(user, "/reframe", count=2)
    (thought_q,) = await say(user, "An argument with my sister")

    response, next_step = await say(user, CRISIS, count=2)
    assert response.button("Book an appointment")["url"] == BOOKING
    assert "988" in response.text
    assert next_step.buttons == [
        ["Go back to the exercise"],
        ["Show the resources again"],
        ["Stop the exercise for now"],
    ]
    # While paused, typed text is not taken as the answer.
    (held,) = await say(user, "ok")
    assert "go back to the exercise" in held.text

    (again,) = await tap(user, "Go back to the exercise")
    assert again.text == thought_q.text
    (belief,) = await say(user, "I ruin everything")
    assert "believe" in belief.text.lower() or "0" in belief.text

    logged = await events(patients, user.chat_id)
    assert len(logged) == 1
    category, rule_id = logged[0]
    assert category == "suicide" and rule_id.startswith("suicide.")
    # The log holds no words of the message, and no journal entry was written for it.
    assert CRISIS.lower() not in f"{category} {rule_id}".lower()
    assert await patients.journal(user.chat_id) == []


@pytest.fixture
def oncall_settings(emu: BotApiEmulator, database_file: str) -> Settings:
    return _settings(emu.base_url, database_file, oncall_chat_id=ONCALL)


@pytest.fixture
async def oncall_app(
    oncall_settings: Settings, tg_library: FlowLibrary, emu: BotApiEmulator
) -> AsyncIterator[Application]:
    emu.group(ONCALL, "On call")
    async with running_bot(oncall_settings, tg_library, retry_delays=FAST_RETRIES) as application:
        yield application


async def onboard(user: EmulatedUser, name: str, alerts: str) -> None:
    """Onboarding by buttons: consent, a name, Central time, no check-ins, crisis alerts."""
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")
    await say(user, name)
    await tap(user, "Central")
    await tap(user, "No")
    (welcome,) = await tap(user, alerts)
    assert "/sos" in welcome.text


async def test_oncall_chat_gets_one_notice_for_two_crisis_messages_a_minute_apart(
    oncall_app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2002)
    await onboard(user, "Robin", alerts="Yes")
    with time_machine.travel(datetime.now(UTC), tick=True) as clock:
        first = await say(user, CRISIS, count=2)
        await emu.wait_for(lambda: len(emu.sent(ONCALL)) == 1)
        clock.shift(timedelta(minutes=1))
        await say(user, CRISIS_AGAIN, count=2)
        await settle(emu, 0.5)

    (notice,) = emu.sent(ONCALL)
    assert "Robin" in notice.text and "suicide" in notice.text
    assert "kill" not in notice.text.lower() and "die" not in notice.text.lower()
    assert notice.received_at > first[-1].received_at  # the patient's answer went first
    assert len(await events(patients, user.chat_id)) == 2  # both detections are logged


async def test_no_notice_when_the_patient_did_not_consent(
    oncall_app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2003)
    await onboard(user, "Alex", alerts="No")
    await say(user, CRISIS, count=2)
    await settle(emu, 0.5)
    assert emu.sent(ONCALL) == []
    assert len(await events(patients, user.chat_id)) == 1


async def test_an_edited_crisis_message_is_answered_logged_and_notified(
    oncall_app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2004)
    await onboard(user, "Jo", alerts="Yes")
    sent = await user.send("hello")
    await user.wait_for_reply()
    assert sent.message_id is not None
    await user.edit(sent.message_id, CRISIS)
    response, _ = await user.wait_for_reply(count=2)
    assert response.button("Book an appointment")["url"] == BOOKING
    await emu.wait_for(lambda: len(emu.sent(ONCALL)) == 1)
    assert "Jo" in emu.sent(ONCALL)[0].text
    assert [c for c, _ in await events(patients, user.chat_id)] == ["suicide"]


async def test_the_bot_stays_silent_in_the_oncall_group(
    oncall_app: Application, emu: BotApiEmulator
) -> None:
    group = emu.group(ONCALL, "On call")
    await group.send(3001, "Thanks, I'll call her now. I want to kill myself laughing at this week")
    await settle(emu, 0.5)
    assert emu.sent(ONCALL) == [] and ONCALL not in emu.left_chats


async def test_worrying_words_mid_thought_record_get_a_direct_question_and_no_returns_to_it(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2101)
    await agree(user)
    await say(user, "/reframe", count=2)
    (thought_q,) = await say(user, "An argument with my sister")

    (asked,) = await say(user, "honestly i can't do this anymore")
    assert "thoughts of ending your life" in asked.text
    assert asked.buttons == [["Yes, I am"], ["No, I'm not"]]
    answered = await tap(user, "No, I'm not", count=2)
    assert "/sos" in answered[0].text
    assert answered[1].text == thought_q.text  # the same question, ready for an answer
    assert await events(patients, user.chat_id) == [("concern", "concern.cant_go_on")]


async def test_a_yes_to_the_direct_question_gets_the_help_lines_and_the_booking_button(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2102)
    await agree(user)
    await say(user, "/reframe", count=2)
    (asked,) = await say(user, "everything feels hopeless")
    response, next_step = await tap(user, "Yes, I am", count=2)
    assert "988" in response.text
    assert response.button("Book an appointment")["url"] == BOOKING
    assert ["Go back to the exercise"] in next_step.buttons
    assert [c for c, _ in await events(patients, user.chat_id)] == ["concern", "suicide"]
    await settle(emu, 0)
