"""A planned activity's rating rides on the daily reminder once its time has passed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.coach.activity_followup import planned_moment
from bot.coach.service import CoachService
from bot.db import store
from bot.db.journal import JournalItem
from bot.shared.messages import Inbound, OutboundMessage
from tests.coach.helpers import button
from tests.coach.test_reminders import Outbox, add_patient, dispatcher

RATE = "Rate my planned activity"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(utc(2026, 6, 1, 12), tick=False) as traveller:
        yield traveller


def labels(message: OutboundMessage) -> list[str]:
    return [b.label for row in message.buttons for b in row]


async def plan_a_walk(service: CoachService, who: str, day: str, at: str) -> None:
    reply = await service.handle(who, Inbound.message("/activity"))
    reply = await service.handle(who, Inbound.press(button(reply.messages, "Something I enjoy")))
    reply = await service.handle(who, Inbound.message("a walk by the river"))
    reply = await service.handle(who, Inbound.press(button(reply.messages, day)))
    reply = await service.handle(who, Inbound.message(at))
    assert "Your plan: <b>a walk by the river</b>" in reply.messages[0].text


async def test_the_reminder_after_the_planned_time_offers_the_rating_until_it_is_done(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "ana")  # New York, reminders at 09:00 (13:00 UTC)
    await plan_a_walk(service, "ana", "Today", "5 pm")  # 08:00 in New York
    loop = dispatcher(service, outbox)

    clock.move_to(utc(2026, 6, 1, 13, 0, 10))  # 09:00: the walk is still to come
    assert (await loop.tick())["sent"] == 1
    assert RATE not in labels(outbox.to("ana")[-1])

    clock.move_to(utc(2026, 6, 2, 13, 0, 10))  # the next morning: the walk was yesterday
    assert (await loop.tick())["sent"] == 1
    reminder = outbox.to("ana")[-1]
    assert reminder.text.startswith("Time for your check-in")  # the lock screen: neutral
    assert "walk" not in reminder.text and "activity" not in reminder.text.lower()
    assert labels(reminder)[-1] == RATE and "0" in labels(reminder)  # one tap still checks in

    opened = await service.handle("ana", Inbound.press(button([reminder], RATE)))
    assert "Last time you planned: <b>a walk by the river</b>" in opened.messages[-1].text
    asked = await service.handle(
        "ana", Inbound.press(button(opened.messages, "Tell you how it went"))
    )
    assert asked.messages[-1].text == "Did you do the activity you planned?"
    reply = await service.handle("ana", Inbound.press(button(asked.messages, "Yes, I did it")))
    reply = await service.handle("ana", Inbound.press(button(reply.messages, "4")))
    reply = await service.handle("ana", Inbound.press(button(reply.messages, "7")))
    assert reply.messages[0].text.startswith("From 4 to 7.")

    clock.move_to(utc(2026, 6, 3, 13, 0, 10))  # rated: the button is gone
    assert (await loop.tick())["sent"] == 1
    assert RATE not in labels(outbox.to("ana")[-1])


async def test_an_old_unrated_plan_is_not_brought_up_again(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "ben")
    await plan_a_walk(service, "ben", "Tomorrow", "10:00")
    loop = dispatcher(service, outbox)
    shown = []
    for day in range(1, 12):  # June 1 to 11 at 09:00 New York
        clock.move_to(utc(2026, 6, day, 13, 0, 10))
        assert (await loop.tick())["sent"] == 1
        shown.append(RATE in labels(outbox.to("ben")[-1]))
        # Answered a few minutes later (the first check-in question): reminders stay daily.
        clock.move_to(utc(2026, 6, day, 13, 5))
        await service.handle("ben", Inbound.press(button(outbox.to("ben")[-1:], "5")))
    # June 1: before the plan's time (the 2nd, 10:00); from June 3 to June 8, within the 8
    # days after the plan was made; never again after that.
    assert shown == [False, False, True, True, True, True, True, True, False, False, False]


def test_the_planned_moment_is_the_patients_own_day_and_time() -> None:
    zone = ZoneInfo("America/Chicago")
    made = utc(2026, 3, 8, 4, 30)  # March 7, 22:30 in Chicago, the night before DST starts
    plan = JournalItem("activity_plan", "activation", 2, {"day": "tomorrow", "at": "09:15"}, made)
    assert planned_moment(plan, zone) == datetime(2026, 3, 8, 9, 15, tzinfo=zone)
    assert planned_moment(plan, zone) == utc(2026, 3, 8, 14, 15)  # CDT: UTC-5 that morning
    unsure = JournalItem("activity_plan", "activation", 2, {"day": "today"}, made)
    assert planned_moment(unsure, zone) is None


async def test_a_patient_without_a_plan_gets_the_reminder_as_before(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "cy")
    clock.move_to(utc(2026, 6, 1, 13, 0, 10))
    assert (await dispatcher(service, outbox).tick())["sent"] == 1
    assert RATE not in labels(outbox.to("cy")[-1])
    assert (
        await service.database.transaction(
            lambda c: store.latest_at_by_kind(
                c, patient_ids=[pid], kinds=("activity_plan",), since=utc(2026, 1, 1)
            )
        )
        == {}
    )
