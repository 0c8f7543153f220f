"""A questionnaire that is due rides on the daily reminder of a patient who does no
check-ins (whose check-ins would offer it), never within 12 hours of a crisis answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from bot.coach.service import CoachService
from bot.db import measures, store
from bot.shared.messages import Inbound, OutboundMessage, SafetyEvent
from tests.coach.helpers import button
from tests.coach.test_reminders import Outbox, add_patient, dispatcher

GAD7 = "A short questionnaire: GAD-7"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(utc(2026, 6, 1, 12), tick=False) as traveller:
        yield traveller


def labels(message: OutboundMessage) -> list[str]:
    return [b.label for row in message.buttons for b in row]


async def _reminder_on(
    service: CoachService, outbox: Outbox, clock: time_machine.Traveller, who: str, day: int
) -> OutboundMessage:
    clock.move_to(utc(2026, 6, day, 13, 0, 10))  # 09:00 in New York
    assert (await dispatcher(service, outbox).tick())["sent"] == 1
    reminder = outbox.to(who)[-1]
    # Answered a few minutes later (the first check-in question): reminders stay daily.
    clock.move_to(utc(2026, 6, day, 13, 5))
    await service.handle(who, Inbound.press(button([reminder], "5")))
    await service.handle(who, Inbound.message("/cancel"))
    return reminder


async def test_a_due_questionnaire_rides_on_the_reminder_after_three_days_without_a_checkin(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "ana")  # joined June 1, 12:00 UTC
    shown = [
        GAD7 in labels(await _reminder_on(service, outbox, clock, "ana", d)) for d in (1, 2, 3)
    ]
    assert shown == [False, False, False]  # new: her first check-ins would offer it

    clock.move_to(utc(2026, 6, 4, 13, 0, 10))
    assert (await dispatcher(service, outbox).tick())["sent"] == 1
    reminder = outbox.to("ana")[-1]
    assert reminder.text.startswith("Time for your check-in")  # the lock screen: neutral
    assert labels(reminder)[-1] == GAD7 and "0" in labels(reminder)
    reply = await service.handle("ana", Inbound.press(button([reminder], GAD7)))
    assert reply.messages[-1].text == "<b>1/7</b> Feeling nervous, anxious, or on edge"
    for _ in range(7):
        reply = await service.handle("ana", Inbound.press(button(reply.messages, "Not at all")))
    rows = await service.database.transaction(
        lambda c: measures.administrations(c, patient_id=pid, measure="gad7")
    )
    assert [(r.total, r.delivered) for r in rows] == [(0, "reminder")]

    following = await _reminder_on(service, outbox, clock, "ana", 5)
    assert GAD7 not in labels(following)  # given: not due for 14 days
    assert any(label.startswith("A short questionnaire: ") for label in labels(following))


async def test_no_questionnaire_on_the_reminder_after_a_recent_checkin(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "ben")
    assert GAD7 in labels(
        [await _reminder_on(service, outbox, clock, "ben", d) for d in (1, 2, 3, 4)][-1]
    )
    clock.move_to(utc(2026, 6, 5, 11))  # a whole check-in, two hours before the reminder
    reply = await service.handle("ben", Inbound.message("/checkin"))
    for label in ["6", "4", "3", "7", "2", "None today", "Skip this one", "Done ✓"]:
        reply = await service.handle("ben", Inbound.press(button(reply.messages, label)))
    if "Skip this one" in labels(reply.messages[-1]):  # the note, when it is asked
        reply = await service.handle("ben", Inbound.press(button(reply.messages, "Skip this one")))
    checked = await service.database.transaction(
        lambda c: store.latest_journal(c, patient_id=pid, kind="check_in")
    )
    assert checked is not None
    reminder = await _reminder_on(service, outbox, clock, "ben", 5)
    assert not any(label.startswith("A short questionnaire") for label in labels(reminder))


async def test_no_questionnaire_on_the_reminder_within_12_hours_of_a_crisis_answer(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "cy")
    for day in (1, 2, 3):
        await _reminder_on(service, outbox, clock, "cy", day)
    clock.move_to(utc(2026, 6, 4, 5))  # a crisis answer eight hours before the reminder
    await service.database.transaction(
        lambda c: store.add_safety_events(
            c, patient_id=pid, events=[SafetyEvent("suicide", "suicide.wish")]
        )
    )
    assert GAD7 not in labels(await _reminder_on(service, outbox, clock, "cy", 4))
    assert GAD7 in labels(await _reminder_on(service, outbox, clock, "cy", 5))  # 32 hours on
