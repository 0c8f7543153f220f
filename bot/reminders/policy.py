"""What the reminder rules say, as pure functions: no SQL, no clock of its own.

Whether a due reminder is sent (late, the patient busy in an exercise, or held after a
crisis response), when it turns gentle, how a profile change moves the schedule, and the
states a send row goes through. ``bot.reminders.store`` reads and writes the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.reminders.schedule import next_due, parse_time
from bot.shared.conversation import Hold

__all__ = [
    "BUSY",
    "GENTLE_AFTER",
    "GENTLE_EVERY_DAYS",
    "HOLD_BLOCKS",
    "MAX_ATTEMPTS",
    "Plan",
    "ReminderChange",
    "SendStatus",
    "answered",
    "plan",
    "reminder_change",
    "send_status",
]

#: After this many reminders in a row without an answer, remind gently and less often.
GENTLE_AFTER = 3
GENTLE_EVERY_DAYS = 3
MAX_ATTEMPTS = 5
#: How long a crisis hold keeps reminders away. After a day of silence the check-in comes
#: again (it sets the paused exercise aside), rather than never.
HOLD_BLOCKS = timedelta(hours=24)
#: A patient whose exercise moved this recently is busy with it: no reminder then.
BUSY = timedelta(minutes=10)


class SendStatus(StrEnum):
    """The states of a ``reminder_sends`` row (stored as these strings).

    ``pending`` (claimed, with a lease) -> ``sending`` (its request is going out) ->
    ``sent``; or ``expired`` (too late), ``skipped`` (the patient was busy), ``failed``
    (tried ``MAX_ATTEMPTS`` times), ``blocked`` (the patient blocked the bot), ``unknown``
    (a process died while ``sending``: it may have arrived, so it is never sent again).
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    EXPIRED = "expired"
    SKIPPED = "skipped"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


def send_status(
    *,
    now: datetime,
    due: datetime,
    grace: timedelta,
    hold: Hold,
    in_exercise: bool,
    quiet_for: timedelta | None,
) -> SendStatus:
    """``pending`` (send it), ``expired`` (too late) or ``skipped`` (the patient is busy).

    ``quiet_for``: how long since the conversation last moved (None: it never did).
    """
    if now - due > grace:
        return SendStatus.EXPIRED
    if hold is not None and quiet_for is not None and quiet_for < HOLD_BLOCKS:
        return SendStatus.SKIPPED  # waiting after a crisis response: no check-in on top of that
    recent = quiet_for is not None and quiet_for < BUSY
    if in_exercise and recent:
        return SendStatus.SKIPPED  # in the middle of an exercise right now
    return SendStatus.PENDING


def answered(last_sent_at: datetime | None, conversation_updated: datetime | None) -> bool:
    """The patient wrote or tapped after the last reminder (their conversation moved)."""
    if last_sent_at is None or conversation_updated is None:
        return False
    return conversation_updated > last_sent_at


@dataclass(frozen=True)
class ReminderChange:
    """How a profile change moves the schedule (the arguments of ``store.reschedule``)."""

    turned_on: bool
    skip_tomorrow: bool
    pause_days: int | None
    detailed: bool | None


_REMINDER_PROFILE = {
    "timezone",
    "checkin_time",
    "checkins",
    "skip_tomorrow",
    "pause_days",
    "reminder_detail",
}
_YES = (True, "yes", "on", "true")


def reminder_change(updates: dict[str, Any]) -> ReminderChange | None:
    """None when ``updates`` leave the daily reminder as it was."""
    if not updates.keys() & _REMINDER_PROFILE:
        return None
    pause = updates.get("pause_days")
    detail = updates["reminder_detail"] in (True, "yes") if "reminder_detail" in updates else None
    return ReminderChange(
        turned_on="checkins" in updates and updates["checkins"] in _YES,
        skip_tomorrow=updates.get("skip_tomorrow") in _YES,
        pause_days=int(pause) if pause else None,
        detailed=detail,
    )


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Plan:
    """A patient's daily reminder: their zone, wall time, a skipped date, a pause's end."""

    zone: ZoneInfo
    at_hhmm: str
    skip_on: date | None
    resume_on: date | None

    def next_after(self, after: datetime, not_before: date | None = None) -> datetime:
        resume = self.resume_on
        if not_before is not None and (resume is None or not_before > resume):
            resume = not_before
        return next_due(
            after, parse_time(self.at_hhmm), self.zone, skip_on=self.skip_on, resume_on=resume
        )


def plan(
    timezone: str | None, checkin_time: str | None, skip_on: str | None, resume_on: str | None
) -> Plan | None:
    """None when the profile names no usable zone or time."""
    where = zone(timezone)
    if where is None or not checkin_time:
        return None
    try:
        parse_time(checkin_time)
    except ValueError:
        return None
    return Plan(where, checkin_time, _date(skip_on), _date(resume_on))
