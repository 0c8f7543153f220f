"""The safety checks in the service's transaction, on SQLite and PostgreSQL.

Building risk: a gentle note after the third hard check-in day of five, once a local day.
On-call: a notice for a consenting patient's first detection, not for repeats within the
quiet window, never without consent; edited messages are logged as safety events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.coach import profile as coach_profile
from bot.coach.service import CoachService, Reply
from bot.db import store
from bot.db.models import SafetyEventRow
from bot.shared.messages import Inbound, SafetyEvent
from tests.coach.helpers import agree

QUIET = timedelta(minutes=15)
RISK_WORDS = "several days have been really hard"


@pytest.fixture
def coach(service: CoachService) -> CoachService:
    """The shared test service's database, with on-call notices switched on."""
    return CoachService(
        service.engine,
        service.database,
        "test",
        oncall_quiet=QUIET,
        default_timezone="America/New_York",
    )


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(datetime(2026, 11, 20, 15, 0, tzinfo=UTC), tick=True) as traveller:
        yield traveller


async def checkin(coach: CoachService, who: str, mood: int, craving: int) -> Reply:
    """A whole check-in by typed answers; the reply to the last answer.

    A mood of 0-2 first gets the direct safety question (flows/checkin.yaml ``screen:``),
    answered "no" here. Other substances, then skills, are skipped."""
    asked = ("no",) if mood <= 2 else ()
    answers = ("/checkin", str(mood), *asked, "3", str(craving), "5", "3", "none", "skip", "skip")
    for answer in answers:
        await coach.handle(who, Inbound.message(answer))
    return await coach.handle(who, Inbound.message("skip"))


def said_risk(reply: Reply) -> bool:
    return any(RISK_WORDS in m.text for m in reply.messages)


async def profile(coach: CoachService, who: str, **updates: object) -> int:
    await agree(coach, who)
    first = await coach.handle(who, Inbound.message("/menu"))
    assert first.patient_id is not None
    pid = first.patient_id
    await coach.database.transaction(
        lambda c: coach_profile.update_profile(c, patient_id=pid, updates=updates)
    )
    return pid


async def test_the_third_low_day_of_five_brings_one_gentle_note_a_day(
    coach: CoachService, clock: time_machine.Coordinates
) -> None:
    await agree(coach, "p1")
    assert not said_risk(await checkin(coach, "p1", mood=1, craving=3))  # the 20th
    clock.shift(timedelta(days=2))
    assert not said_risk(await checkin(coach, "p1", mood=6, craving=9))  # the 22nd: two days
    clock.shift(timedelta(days=1))
    third = await checkin(coach, "p1", mood=2, craving=2)  # the 23rd: three of the last five
    assert said_risk(third)
    note = next(m for m in third.messages if RISK_WORDS in m.text)
    assert "/sos" in note.text
    # The booking button is on the note, or on the check-in's own last message right below it.
    index = third.messages.index(note)
    below = [b.url for m in third.messages[index : index + 2] for row in m.buttons for b in row]
    assert "https://example.org/book" in below
    assert third.messages[-1] is not note  # the check-in's own closing question stays last
    clock.shift(timedelta(hours=2))
    assert not said_risk(await checkin(coach, "p1", mood=0, craving=10))  # same day: not again
    clock.shift(timedelta(days=1))
    assert said_risk(await checkin(coach, "p1", mood=1, craving=5))  # next day, still low: again
    clock.shift(timedelta(days=1))
    assert not said_risk(await checkin(coach, "p1", mood=7, craving=2))  # a good day

    pid = third.patient_id
    assert pid is not None
    notes = await coach.database.transaction(
        lambda c: store.journal(c, patient_id=pid, kind="risk_note")
    )
    assert [n.data for n in notes] == [{"date": "2026-11-23"}, {"date": "2026-11-24"}]


async def test_days_follow_the_patients_time_zone(
    coach: CoachService, clock: time_machine.Coordinates
) -> None:
    # 15:00 UTC on the 20th, 03:00 UTC on the 21st (still the 20th in New York), 15:00 on the 22nd:
    # three days in UTC, two in New York.
    await profile(coach, "ny", timezone="America/New_York")
    await profile(coach, "utc", timezone="UTC")
    for who in ("ny", "utc"):
        await checkin(coach, who, mood=1, craving=3)
    clock.shift(timedelta(hours=12))
    for who in ("ny", "utc"):
        await checkin(coach, who, mood=1, craving=3)
    clock.shift(timedelta(hours=36))
    assert not said_risk(await checkin(coach, "ny", mood=1, craving=3))
    assert said_risk(await checkin(coach, "utc", mood=1, craving=3))


async def test_oncall_notice_once_per_quiet_window_and_only_with_consent(
    coach: CoachService, clock: time_machine.Coordinates
) -> None:
    pid = await profile(coach, "ok", name="Sam", crisis_alerts=True)
    first = await coach.handle("ok", Inbound.message("I want to kill myself"))
    assert first.oncall_notice is not None
    assert (first.oncall_notice.patient_id, first.oncall_notice.name) == (pid, "Sam")
    assert first.oncall_notice.category == first.safety_events[0].category
    # The patient is told, just before the choice that waits for them (it stays last).
    assert "on-call team know" in first.messages[-2].text
    assert first.messages[-1].buttons
    clock.shift(timedelta(minutes=1))
    again = await coach.handle("ok", Inbound.message("i want to die"))
    assert again.safety_events and again.oncall_notice is None
    clock.shift(QUIET + timedelta(minutes=1))
    later = await coach.handle("ok", Inbound.message("i want to die"))
    assert later.oncall_notice is not None

    await profile(coach, "no", name="Kim", crisis_alerts=False)
    refused = await coach.handle("no", Inbound.message("I want to kill myself"))
    assert refused.safety_events and refused.oncall_notice is None
    assert not any("on-call team know" in m.text for m in refused.messages)


async def test_no_notice_when_no_oncall_chat_is_set(service: CoachService) -> None:
    await profile(service, "p", crisis_alerts=True)
    reply = await service.handle("p", Inbound.message("I want to kill myself"))
    assert reply.safety_events and reply.oncall_notice is None


async def test_an_edited_message_is_logged_as_a_safety_event_without_a_step(
    coach: CoachService, clock: time_machine.Coordinates
) -> None:
    pid = await profile(coach, "ed", name="Ed", crisis_alerts=True)
    await coach.handle("ed", Inbound.message("/reframe"))
    event = SafetyEvent("suicide", "suicide.test_rule")
    notice = await coach.record_safety_event("ed", event)
    assert notice is not None and notice.name == "Ed"
    assert await coach.record_safety_event("ed", event) is None  # inside the quiet window
    assert await coach.record_safety_event("stranger", event) is None
    rows = await coach.database.transaction(
        lambda c: c.execute(
            select(SafetyEventRow.patient_id, SafetyEventRow.category, SafetyEventRow.rule_id)
        ).all()
    )
    # The stranger never agreed to storage: their event is counted with no patient.
    assert [tuple(r) for r in rows] == [(pid, "suicide", "suicide.test_rule")] * 2 + [
        (None, "suicide", "suicide.test_rule")
    ]
    # The exercise did not move: the next answer is still the situation.
    reply = await coach.handle("ed", Inbound.message("At work"))
    assert reply.messages and "thought" in reply.messages[-1].text.lower()


async def test_a_question_asked_first_reaches_the_oncall_chat_only_when_answered_yes(
    coach: CoachService, clock: time_machine.Coordinates
) -> None:
    await profile(coach, "asked", name="Ana", crisis_alerts=True)
    asked = await coach.handle("asked", Inbound.message("I can't do this anymore"))
    assert [e.category for e in asked.safety_events] == ["concern"]
    assert asked.oncall_notice is None
    (question,) = asked.messages
    yes = next(b for row in question.buttons for b in row if b.token and "asked_yes" in b.token)
    clock.shift(timedelta(minutes=1))
    answered = await coach.handle("asked", Inbound.press(yes.token or ""))
    assert [e.category for e in answered.safety_events] == ["suicide"]
    assert answered.oncall_notice is not None and answered.oncall_notice.category == "suicide"
