"""The dispatcher under a controlled clock, on SQLite and PostgreSQL.

Daily recurrence, both DST nights, zone change, skip and pause, the grace period after
downtime, a batch claimed by a process that died, blocked patients, gentler reminders
after three unanswered ones, and two dispatchers claiming each reminder exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from bot.coach import profile as coach_profile
from bot.coach.reminders import Blocked, Dispatcher, DispatchSettings
from bot.coach.service import CoachService
from bot.db import store
from bot.db.models import Patient, Reminder, ReminderSend, as_utc
from bot.db.session import Database
from bot.reminders import store as reminders
from bot.shared.messages import Inbound, OutboundMessage
from tests.coach.helpers import agree

SCALE = [str(n) for n in range(11)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(utc(2026, 6, 1, 12), tick=False) as traveller:
        yield traveller


class Outbox:
    """A channel that records what it was asked to send; some patients have blocked it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutboundMessage]] = []
        self.blocked: set[str] = set()

    async def send(self, external_id: str, message: OutboundMessage) -> None:
        if external_id in self.blocked:
            raise Blocked
        self.sent.append((external_id, message))

    def to(self, external_id: str) -> list[OutboundMessage]:
        return [m for e, m in self.sent if e == external_id]


def dispatcher(service: CoachService, outbox: Outbox, **options: Any) -> Dispatcher:
    options.setdefault("max_rate", 0)  # not spaced out: the clock is frozen anyway
    return Dispatcher(service, outbox.send, DispatchSettings(**options))


async def add_patient(
    service: CoachService, external_id: str, zone: str = "America/New_York", at: str = "09:00"
) -> int:
    def step(connection: Any) -> int:
        loaded = store.load_conversation(
            connection, channel=service.channel, external_id=external_id
        )
        assert loaded is not None
        coach_profile.update_profile(
            connection,
            patient_id=loaded.patient.id,
            updates={"consent": "yes", "timezone": zone, "checkin_time": at, "checkins": "yes"},
        )
        return loaded.patient.id

    return await service.database.transaction(step)


async def profile(service: CoachService, patient_id: int, **updates: Any) -> None:
    await service.database.transaction(
        lambda c: coach_profile.update_profile(c, patient_id=patient_id, updates=updates)
    )


async def next_due(service: CoachService, patient_id: int) -> datetime | None:
    due = await service.database.transaction(
        lambda c: c.execute(
            select(Reminder.next_due).where(Reminder.patient_id == patient_id)
        ).scalar()
    )
    return as_utc(due) if due else None


async def statuses(database: Database) -> list[str]:
    return await database.transaction(
        lambda c: [
            row[0] for row in c.execute(select(ReminderSend.status).order_by(ReminderSend.id))
        ]
    )


async def test_daily_reminder_opens_the_checkin_and_one_tap_answers(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "ana")
    assert await next_due(service, pid) == utc(2026, 6, 1, 13)
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 6, 1, 12, 59))
    assert (await loop.tick())["sent"] == 0
    clock.move_to(utc(2026, 6, 1, 13, 0, 20))
    assert (await loop.tick())["sent"] == 1
    assert (await loop.tick())["sent"] == 0  # never twice
    [message] = outbox.to("ana")
    assert message.text.startswith("Time for your check-in")
    for word in ("kratom", "craving", "mood", "anxi", "recovery"):
        assert word not in message.text.lower()
    labels = [b.label for row in message.buttons for b in row]
    assert labels == SCALE
    token = next(b.token for row in message.buttons for b in row if b.label == "6")
    assert token is not None
    reply = await service.handle("ana", Inbound.press(token))
    assert any("anxious" in m.text for m in reply.messages)  # the check-in's second question
    assert await next_due(service, pid) == utc(2026, 6, 2, 13)
    clock.move_to(utc(2026, 6, 2, 13, 1))
    assert (await loop.tick())["sent"] == 1


async def test_spring_forward_sends_once_at_the_first_valid_time(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    clock.move_to(utc(2026, 3, 7, 12))
    pid = await add_patient(service, "ben", at="02:30")
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert (await loop.tick())["sent"] == 0
    for minute in (0, 30, 59):  # 03:00, 03:30, 03:59 EDT
        clock.move_to(utc(2026, 3, 8, 7, minute))
        await loop.tick()
    assert len(outbox.to("ben")) == 1
    assert await next_due(service, pid) == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


async def test_fall_back_sends_once_not_twice(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    clock.move_to(utc(2026, 10, 31, 12))
    pid = await add_patient(service, "cy", at="01:30")
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 11, 1, 5, 30, 5))  # the first 01:30 (EDT)
    await loop.tick()
    clock.move_to(utc(2026, 11, 1, 6, 30, 5))  # the second 01:30 (EST)
    await loop.tick()
    assert len(outbox.to("cy")) == 1
    assert await next_due(service, pid) == utc(2026, 11, 2, 6, 30)


async def test_zone_and_time_changes_reschedule(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    pid = await add_patient(service, "dee")  # 09:00 New York = 13:00 UTC
    await profile(service, pid, timezone="Europe/Berlin")  # 09:00 Berlin = 07:00 UTC, tomorrow
    assert await next_due(service, pid) == utc(2026, 6, 2, 7)
    await profile(service, pid, checkin_time="18:30")
    assert await next_due(service, pid) == utc(2026, 6, 1, 16, 30)
    await profile(service, pid, checkins="no")
    assert await next_due(service, pid) is None
    await profile(service, pid, checkins="yes")
    assert await next_due(service, pid) == utc(2026, 6, 1, 16, 30)


async def test_skip_tomorrow_and_pause(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "eli")  # 08:00 in New York now
    await profile(service, pid, skip_tomorrow="yes")
    assert await next_due(service, pid) == utc(2026, 6, 1, 13)  # today's still comes
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 6, 1, 13, 1))
    await loop.tick()
    assert await next_due(service, pid) == utc(2026, 6, 3, 13)  # tomorrow skipped
    await profile(service, pid, pause_days=3)  # today (June 1) and the next two days
    assert await next_due(service, pid) == utc(2026, 6, 4, 13)
    for day in (2, 3):
        clock.move_to(utc(2026, 6, day, 13, 1))
        await loop.tick()
    assert len(outbox.to("eli")) == 1
    await profile(service, pid, checkins="yes")  # turning on again ends the pause
    assert await next_due(service, pid) == utc(2026, 6, 4, 13)  # June 3's time has passed
    clock.move_to(utc(2026, 6, 4, 13, 1))
    await loop.tick()
    assert len(outbox.to("eli")) == 2


async def test_grace_period_after_downtime(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "fay")
    clock.move_to(utc(2026, 6, 1, 14, 50))  # the bot was down; 110 minutes late
    await dispatcher(service, outbox).tick()
    assert len(outbox.to("fay")) == 1
    clock.move_to(utc(2026, 6, 2, 15, 30))  # 150 minutes late: skipped, next one scheduled
    outcomes = await dispatcher(service, outbox).tick()
    assert outcomes["sent"] == 0 and len(outbox.to("fay")) == 1
    assert await next_due(service, pid) == utc(2026, 6, 3, 13)
    assert await statuses(service.database) == ["sent", "expired"]


async def test_a_batch_claimed_by_a_dead_process_is_sent_once_after_its_lease(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    for name in ("gus", "hal"):
        await add_patient(service, name)
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    # A process claims the batch, then is killed before sending anything.
    claims, _ = await service.database.transaction(
        lambda c: reminders.claim_due(
            c,
            channel=service.channel,
            now=datetime.now(UTC),
            grace=timedelta(hours=2),
            lease=timedelta(minutes=2),
            limit=10,
        )
    )
    assert len(claims) == 2
    loop = dispatcher(service, outbox)
    assert (await loop.tick())["sent"] == 0  # still leased to the dead process
    clock.move_to(utc(2026, 6, 1, 13, 3))
    assert (await loop.tick())["sent"] == 2
    assert (await loop.tick())["sent"] == 0
    assert sorted(e for e, _ in outbox.sent) == ["gus", "hal"]
    assert await statuses(service.database) == ["sent", "sent"]


async def test_a_claim_left_unsent_past_the_grace_expires(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "ivy")
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    await service.database.transaction(
        lambda c: reminders.claim_due(
            c,
            channel=service.channel,
            now=datetime.now(UTC),
            grace=timedelta(hours=2),
            lease=timedelta(minutes=2),
            limit=10,
        )
    )
    clock.move_to(utc(2026, 6, 1, 16))
    await dispatcher(service, outbox).tick()
    assert outbox.sent == []
    assert await statuses(service.database) == ["expired"]


async def test_blocked_patient_gets_no_more_reminders(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    outbox.blocked.add("jo")
    pid = await add_patient(service, "jo")
    await add_patient(service, "kai")
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 6, 1, 13, 1))
    outcomes = await loop.tick()
    assert outcomes["blocked"] == 1 and outcomes["sent"] == 1
    assert await next_due(service, pid) is None
    patient = await service.database.transaction(
        lambda c: store.find_patient(c, channel=service.channel, external_id="jo")
    )
    assert patient is not None and not patient.active and not patient.checkins
    clock.move_to(utc(2026, 6, 2, 13, 1))
    assert (await loop.tick())["blocked"] == 0
    assert outbox.to("kai") and not outbox.to("jo")


async def test_three_unanswered_make_it_gentler_and_rarer(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "lee")
    loop = dispatcher(service, outbox)
    for day in (1, 2, 3, 4):
        clock.move_to(utc(2026, 6, day, 13, 1))
        await loop.tick()
    messages = outbox.to("lee")
    assert len(messages) == 4
    assert not any(
        "Change or stop" in b.label for m in messages[:3] for row in m.buttons for b in row
    )
    gentle = messages[3]
    assert "every few days" in gentle.text
    change = [b for row in gentle.buttons for b in row if b.token == "flow:reminders"]
    assert change and change[0].label == "Change or stop reminders"
    assert await next_due(service, pid) == utc(2026, 6, 7, 13)  # three days on, not daily
    clock.move_to(utc(2026, 6, 4, 18))
    reply = await service.handle("lee", Inbound.press("flow:reminders"))
    assert any("What would you like to change" in m.text for m in reply.messages)
    clock.move_to(utc(2026, 6, 7, 13, 1))
    await loop.tick()
    assert outbox.to("lee")[-1].text.startswith("Time for your check-in")  # answered: daily again
    assert await next_due(service, pid) == utc(2026, 6, 8, 13)


async def test_two_dispatchers_claim_each_reminder_exactly_once(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    count = 120
    await service.database.transaction(lambda c: _many_patients(c, service.channel, count))
    clock.move_to(utc(2026, 6, 1, 13, 0, 30))
    outbox = Outbox()
    second_db = Database(service.database.url)
    try:
        other = CoachService(service.engine, second_db, service.channel)
        settings = {"batch": 8, "parallel": 4}
        results = await asyncio.gather(
            dispatcher(service, outbox, **settings).tick(),
            dispatcher(other, outbox, **settings).tick(),
        )
    finally:
        await second_db.dispose()
    ids = [e for e, _ in outbox.sent]
    assert len(ids) == count and len(set(ids)) == count
    assert sum(r["sent"] for r in results) == count
    assert all(r["sent"] > 0 for r in results) or service.database.is_sqlite


def _many_patients(connection: Any, channel: str, count: int) -> None:
    for n in range(count):
        loaded = store.load_conversation(connection, channel=channel, external_id=f"p{n}")
        assert loaded is not None
        coach_profile.update_profile(
            connection,
            patient_id=loaded.patient.id,
            updates={
                "consent": "yes",
                "timezone": "America/New_York",
                "checkin_time": "09:00",
                "checkins": "yes",
            },
        )


async def test_a_failed_send_is_tried_again_after_its_lease(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "max")
    failing = {"left": 1}

    async def flaky(external_id: str, message: OutboundMessage) -> None:
        if failing["left"]:
            failing["left"] -= 1
            raise TimeoutError  # e.g. Telegram unreachable after the retries
        await outbox.send(external_id, message)

    loop = Dispatcher(service, flaky, DispatchSettings(max_rate=0))
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    assert (await loop.tick())["failed"] == 1
    clock.move_to(utc(2026, 6, 1, 13, 4))
    assert (await loop.tick())["sent"] == 1
    assert len(outbox.to("max")) == 1
    assert await statuses(service.database) == ["sent"]


async def test_unpaced_sends_commit_once_per_group(
    service: CoachService, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a rate to keep to, one transaction records a group of sends and marks the
    next group ``sending``: 20 reminders, 6 at a time, are 4 groups and a last record,
    beside claiming (twice: the second finds none) and opening (once). Each reminder is
    recorded sent, with the instant its own send ended."""
    await service.database.transaction(lambda c: _many_patients(c, service.channel, 20))
    ended: dict[str, datetime] = {}

    async def send(external_id: str, message: OutboundMessage) -> None:
        clock.shift(timedelta(seconds=1))
        ended[external_id] = datetime.now(UTC)

    committed = 0
    real = service.database.transaction

    async def counted(fn: Any, **options: Any) -> Any:
        nonlocal committed
        committed += 1
        return await real(fn, **options)

    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    monkeypatch.setattr(service.database, "transaction", counted)
    outcomes = await Dispatcher(service, send, DispatchSettings(max_rate=0, parallel=6)).tick()
    monkeypatch.undo()
    assert outcomes["sent"] == 20
    assert committed == 2 + 1 + 4 + 1
    assert await statuses(service.database) == ["sent"] * 20
    rows = await service.database.transaction(
        lambda c: c.execute(
            select(Patient.external_id, Reminder.last_sent_at, Reminder.unanswered).join(
                Patient, Patient.id == Reminder.patient_id
            )
        ).all()
    )
    assert {who: (as_utc(at), unanswered) for who, at, unanswered in rows} == {
        who: (at, 1) for who, at in ended.items()
    }


async def test_sends_are_spaced_evenly_under_the_rate(service: CoachService) -> None:
    await service.database.transaction(lambda c: _many_patients(c, service.channel, 20))
    times: list[float] = []

    async def timed(external_id: str, message: OutboundMessage) -> None:
        times.append(asyncio.get_running_loop().time())

    first = await service.database.transaction(
        lambda c: c.execute(select(Reminder.next_due).limit(1)).scalar_one()
    )
    with time_machine.travel(as_utc(first) + timedelta(minutes=1), tick=True):
        outcomes = await Dispatcher(service, timed, DispatchSettings(max_rate=50)).tick()
    assert outcomes["sent"] == 20
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert times[-1] - times[0] >= 19 / 50 * 0.95  # never faster than 50 a second
    assert min(gaps) >= 0.01  # and never bunched (a few ms of jitter from the database)


async def test_neutral_unless_the_patient_chose_the_question(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "nia")
    await profile(service, pid, reminder_detail="yes")
    loop = dispatcher(service, outbox)
    clock.move_to(utc(2026, 6, 1, 13, 1))
    await loop.tick()
    [message] = outbox.to("nia")
    assert "How is your mood today" in message.text
    assert [b.label for row in message.buttons for b in row] == SCALE
    await profile(service, pid, reminder_detail="no")
    clock.move_to(utc(2026, 6, 2, 13, 1))
    await loop.tick()
    assert outbox.to("nia")[-1].text.startswith("Time for your check-in")


async def _claim_now(service: CoachService) -> list[reminders.Claim]:
    claims, _ = await service.database.transaction(
        lambda c: reminders.claim_due(
            c,
            channel=service.channel,
            now=datetime.now(UTC),
            grace=timedelta(hours=2),
            lease=timedelta(minutes=2),
            limit=10,
        )
    )
    return claims


async def test_a_send_cut_off_mid_request_is_never_sent_twice(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "oli")
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    [claim] = await _claim_now(service)
    # The process committed "sending", its request may have reached Telegram, then it died.
    assert await service.database.transaction(lambda c: reminders.begin_sending(c, claim=claim))
    clock.move_to(utc(2026, 6, 1, 13, 5))
    await dispatcher(service, outbox).tick()
    assert outbox.sent == []
    assert await statuses(service.database) == ["unknown"]


async def test_a_slow_process_whose_lease_ran_out_does_not_send_as_well(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "pat")
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    [slow] = await _claim_now(service)
    clock.move_to(utc(2026, 6, 1, 13, 5))  # its lease ran out; another dispatcher sends it
    assert (await dispatcher(service, outbox).tick())["sent"] == 1
    assert not await service.database.transaction(lambda c: reminders.begin_sending(c, claim=slow))
    assert len(outbox.to("pat")) == 1


async def test_a_group_marked_at_once_marks_only_the_sends_still_ours(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    for who in ("quin", "rae"):
        await add_patient(service, who)
    clock.move_to(utc(2026, 6, 1, 13, 0, 5))
    slow, mine = await _claim_now(service)
    clock.move_to(utc(2026, 6, 1, 13, 5))  # the leases ran out: another dispatcher sends both
    assert (await dispatcher(service, outbox).tick())["sent"] == 2
    assert not any(
        await service.database.transaction(
            lambda c: reminders.begin_sending_all(c, claims=[slow, mine])
        )
    )
    clock.move_to(utc(2026, 6, 2, 13, 0, 5))  # the next day's: one still ours, one re-claimed
    fresh, taken = await _claim_now(service)
    stale = dataclasses.replace(taken, attempt=taken.attempt + 1)
    marked = await service.database.transaction(
        lambda c: reminders.begin_sending_all(c, claims=[fresh, stale])
    )
    assert marked == [True, False]
    assert (
        await service.database.transaction(lambda c: reminders.begin_sending_all(c, claims=[]))
        == []
    )


@pytest.mark.sqlite_only
async def test_a_batch_whose_schedule_another_dispatcher_moved_moves_only_the_others(
    service: CoachService,
) -> None:
    # SQLite reads the due rows before its write lock: another dispatcher may move one in
    # between. The batch's one statement then falls back to one at a time.
    first, second = [await add_patient(service, who) for who in ("sol", "tam")]
    seen = {pid: await next_due(service, pid) for pid in (first, second)}
    later = datetime(2030, 1, 1, tzinfo=UTC)
    await service.database.transaction(  # the other dispatcher moved the second one
        lambda c: c.execute(
            update(Reminder).where(Reminder.patient_id == second).values(next_due=later)
        )
    )
    advances = [
        {"pid": pid, "seen": seen[pid], "following": later, "count": 0} for pid in (first, second)
    ]
    moved = await service.database.transaction(lambda c: reminders._advance_all(c, advances))
    assert moved == [True, False]
    assert await next_due(service, first) == later


async def test_a_time_moved_later_the_same_day_does_not_remind_twice(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "quin")
    clock.move_to(utc(2026, 6, 1, 13, 1))
    await dispatcher(service, outbox).tick()
    await profile(service, pid, checkin_time="18:00")
    assert await next_due(service, pid) == utc(2026, 6, 2, 22)  # tomorrow 18:00, not today


async def test_no_reminder_in_the_middle_of_an_exercise_or_after_a_crisis(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    pid = await add_patient(service, "rae")
    clock.move_to(utc(2026, 6, 1, 12, 55))
    await service.handle("rae", Inbound.message("/checkin"))  # busy with it 5 minutes before
    clock.move_to(utc(2026, 6, 1, 13, 1))
    await dispatcher(service, outbox).tick()
    assert outbox.sent == [] and await statuses(service.database) == ["skipped"]
    assert await next_due(service, pid) == utc(2026, 6, 2, 13)
    clock.move_to(utc(2026, 6, 1, 20))
    await service.handle("rae", Inbound.message("I want to kill myself"))
    clock.move_to(utc(2026, 6, 2, 13, 1))
    await dispatcher(service, outbox).tick()
    assert outbox.sent == [] and await statuses(service.database) == ["skipped", "skipped"]
    clock.move_to(utc(2026, 6, 3, 12))
    await service.handle("rae", Inbound.message("/cancel"))  # leaves the exercise
    clock.move_to(utc(2026, 6, 3, 13, 1))
    await dispatcher(service, outbox).tick()
    assert len(outbox.to("rae")) == 1


async def test_opening_a_reminder_checks_again_for_a_crisis_hold_or_a_deleted_patient(
    service: CoachService,
) -> None:
    """Between a claim and its check-in opening, the patient may write in crisis or leave."""
    from bot.coach.service import PatientBusy
    from bot.db import store as db_store
    from bot.reminders.store import HOLD_BLOCKS as HOLD

    await agree(service, "sol")
    await service.handle("sol", Inbound.message("/checkin"))
    await service.handle("sol", Inbound.message("I want to kill myself"))
    with pytest.raises(PatientBusy):
        await service.start_flow("sol", "checkin", unless_busy=HOLD)
    await agree(service, "gone")
    await service.handle("gone", Inbound.message("/delete"))
    await service.handle("gone", Inbound.press("sys:delete_everything"))
    with pytest.raises(PatientBusy):
        await service.start_flow("gone", "checkin", unless_busy=HOLD)
    found = await service.database.transaction(
        lambda c: db_store.find_patient(c, channel=service.channel, external_id="gone")
    )
    assert found is None  # the reminder did not bring the deleted patient back


async def test_patients_who_chose_check_ins_before_reminders_existed_get_a_schedule(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    from sqlalchemy import delete

    from bot.reminders.store import schedule_missing

    pid = await add_patient(service, "early")
    clock.move_to(utc(2026, 6, 1, 10))
    await service.database.transaction(lambda c: c.execute(delete(Reminder)))  # as before 0002
    assert await next_due(service, pid) is None
    added = await service.database.transaction(
        lambda c: schedule_missing(c, channel=service.channel, now=utc(2026, 6, 1, 10))
    )
    assert added == 1 and await next_due(service, pid) == utc(2026, 6, 1, 13)


async def test_a_crisis_hold_keeps_reminders_away_for_a_day_not_for_ever(
    service: CoachService, clock: time_machine.Traveller
) -> None:
    outbox = Outbox()
    await add_patient(service, "tam")
    clock.move_to(utc(2026, 6, 1, 12))
    await service.handle("tam", Inbound.message("/checkin"))
    await service.handle("tam", Inbound.message("I want to kill myself"))
    clock.move_to(utc(2026, 6, 1, 13, 1))  # an hour later: not on top of the crisis answer
    await dispatcher(service, outbox).tick()
    assert outbox.to("tam") == []
    clock.move_to(utc(2026, 6, 2, 13, 1))  # a day of silence later: the check-in comes again
    await dispatcher(service, outbox).tick()
    assert len(outbox.to("tam")) == 1
