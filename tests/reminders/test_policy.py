"""The reminder policy alone: plain values in, a decision out (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reminders.policy import (
    BUSY,
    HOLD_BLOCKS,
    SendStatus,
    reminder_change,
    send_status,
)
from bot.shared.conversation import Asked, Crisis

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
GRACE = timedelta(hours=2)


def status(**given: object) -> SendStatus:
    options: dict[str, object] = {
        "now": NOW,
        "due": NOW,
        "grace": GRACE,
        "hold": None,
        "in_exercise": False,
        "quiet_for": None,
    }
    return send_status(**{**options, **given})  # type: ignore[arg-type]


def test_a_due_reminder_is_sent_and_a_late_one_expires() -> None:
    assert status() is SendStatus.PENDING
    assert status(due=NOW - GRACE - timedelta(seconds=1)) is SendStatus.EXPIRED


def test_a_hold_keeps_it_away_for_a_day_of_silence_only() -> None:
    for hold in (Crisis(), Asked("concern")):
        assert status(hold=hold, quiet_for=HOLD_BLOCKS - timedelta(minutes=1)) is SendStatus.SKIPPED
        assert status(hold=hold, quiet_for=HOLD_BLOCKS) is SendStatus.PENDING


def test_an_exercise_in_the_last_minutes_keeps_it_away() -> None:
    assert status(in_exercise=True, quiet_for=BUSY - timedelta(seconds=1)) is SendStatus.SKIPPED
    assert status(in_exercise=True, quiet_for=BUSY) is SendStatus.PENDING


def test_only_reminder_fields_move_the_schedule() -> None:
    assert reminder_change({"name": "Sam"}) is None
    change = reminder_change({"checkins": "yes", "pause_days": "3", "reminder_detail": "yes"})
    assert change is not None
    assert change.turned_on and change.pause_days == 3 and change.detailed is True
    assert not change.skip_tomorrow
