"""Questionnaires on the practice's schedule, offered at the end of a check-in when due:
one at a time, "Not now" stored as skipped (and counted as the offer), never after a
check-in that needed the direct safety question, due again after its interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from bot.coach.service import CoachService
from tests.coach.helpers import administrations
from tests.coach.patient_chat import PatientChat, said


async def _checkin(chat: PatientChat, mood: str = "6") -> str:
    await chat.send("/checkin")
    await chat.press(mood)
    for label in ["4", "3", "7", "2", "None today", "Skip this one", "Done ✓"]:
        await chat.press(label)
    return said(await chat.press("Skip this one"))


async def test_a_due_questionnaire_is_offered_after_a_check_in_and_can_be_skipped(
    service: CoachService,
) -> None:
    chat = PatientChat(service, "o1")
    await chat.onboard()
    text = await _checkin(chat)
    assert "it's time for your GAD-7 questionnaire" in text
    assert {"Start now", "Not now"} <= set(chat.buttons)
    assert "not today" in said(await chat.press("Not now"))
    (row,) = await administrations(service, "o1")
    assert (row.measure, row.skipped, row.total, row.delivered) == ("gad7", True, None, "checkin")
    # The next check-in offers the next one due, not the skipped one again.
    assert "PEG questionnaire" in await _checkin(chat)
    first = said(await chat.press("Start now"))
    assert "1/3</b> What number best describes your pain" in first
    for label in ["5", "5", "5"]:
        await chat.press(label)
    rows = await administrations(service, "o1")
    assert (rows[-1].measure, rows[-1].total, rows[-1].delivered) == ("peg", 5.0, "checkin")


async def test_no_offer_after_a_check_in_that_asked_the_safety_question(
    service: CoachService,
) -> None:
    chat = PatientChat(service, "o2")
    await chat.onboard()
    await chat.send("/checkin")
    await chat.press("1")  # a very low mood: the direct question comes first
    await chat.press("No")
    for label in ["4", "3", "7", "2", "None today", "Skip this one", "Done ✓"]:
        await chat.press(label)
    text = said(await chat.press("Skip this one"))
    assert "questionnaire" not in text
    assert await administrations(service, "o2") == []


async def test_offered_again_only_after_its_interval(service: CoachService) -> None:
    chat = PatientChat(service, "o3")
    await chat.onboard()
    now = datetime.now(UTC)
    offered = []
    for day in (0, 1, 2, 3, 4, 15):
        with time_machine.travel(now + timedelta(days=day), tick=False):
            text = await _checkin(chat)
            name = next(
                (n for n in ("GAD-7", "PEG", "PHQ-9", "PC-PTSD-5") if f"your {n} q" in text), None
            )
            offered.append(name)
            if name:
                await chat.press("Not now")
    # One a check-in, each once, then nothing until one is due again (GAD-7 after 14 days,
    # PEG after 7; the PC-PTSD-5 is offered once only).
    assert offered == ["GAD-7", "PEG", "PHQ-9", "PC-PTSD-5", None, "GAD-7"]


async def test_an_offer_left_unanswered_waits_three_days(service: CoachService) -> None:
    """Neither Start now nor Not now: the next check-ins offer nothing for three days, then
    the same questionnaire again. An offer opened and left half-way counts as unanswered."""
    chat = PatientChat(service, "o4")
    await chat.onboard()
    now = datetime.now(UTC)
    offered = []
    for day in (0, 1, 2, 3):
        with time_machine.travel(now + timedelta(days=day, hours=1), tick=False):
            offered.append("GAD-7" if "your GAD-7 q" in await _checkin(chat) else None)
    assert offered == ["GAD-7", None, None, "GAD-7"]
    with time_machine.travel(now + timedelta(days=3, hours=2), tick=False):
        await chat.press("Start now")
        await chat.press("Not at all")  # one item, then left
    with time_machine.travel(now + timedelta(days=4), tick=False):
        assert "questionnaire" not in await _checkin(chat)
    assert await administrations(service, "o4") == []
