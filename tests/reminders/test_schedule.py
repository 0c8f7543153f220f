"""Next due instants: daily recurrence, zone changes, both DST transitions, skip and pause."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.schedule import next_due, occurrence, parse_time

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_recurrence_is_the_same_wall_time_every_day() -> None:
    due = next_due(utc(2026, 6, 1, 12), time(9, 0), NEW_YORK)
    seen = []
    for _ in range(5):
        seen.append(due)
        due = next_due(due, time(9, 0), NEW_YORK)
    assert [d.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for d in seen] == [
        "06-01 09:00",
        "06-02 09:00",
        "06-03 09:00",
        "06-04 09:00",
        "06-05 09:00",
    ]


def test_today_when_the_time_is_still_ahead() -> None:
    assert next_due(utc(2026, 6, 1, 12), time(20, 0), NEW_YORK) == utc(2026, 6, 2, 0)


def test_a_zone_change_moves_the_wall_time_with_the_patient() -> None:
    now = utc(2026, 6, 1, 5)  # 01:00 in New York, 07:00 in Berlin
    assert next_due(now, time(9, 0), NEW_YORK) == utc(2026, 6, 1, 13)
    assert next_due(now, time(9, 0), BERLIN) == utc(2026, 6, 1, 7)


def test_spring_forward_gap_is_sent_once_at_the_first_valid_time() -> None:
    # 2026-03-08: New York's clocks go from 02:00 EST to 03:00 EDT.
    due = next_due(utc(2026, 3, 7, 12), time(2, 30), NEW_YORK)
    assert due == utc(2026, 3, 8, 7)  # 03:00 EDT, the first valid time after 02:30
    assert due.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"
    following = next_due(due, time(2, 30), NEW_YORK)
    assert following.astimezone(NEW_YORK).strftime("%m-%d %H:%M") == "03-09 02:30"


def test_fall_back_fold_is_sent_once_not_twice() -> None:
    # 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    due = next_due(utc(2026, 10, 31, 12), time(1, 30), NEW_YORK)
    assert due == utc(2026, 11, 1, 5, 30)
    following = next_due(due, time(1, 30), NEW_YORK)
    assert following == utc(2026, 11, 2, 6, 30)  # the next day, not the second 01:30
    assert following.astimezone(NEW_YORK).strftime("%m-%d %H:%M") == "11-02 01:30"


def test_every_occurrence_across_a_year_is_one_per_local_day() -> None:
    due = utc(2026, 1, 1)
    days = []
    for _ in range(366):
        due = next_due(due, time(2, 30), NEW_YORK)
        days.append(due.astimezone(NEW_YORK).date())
    assert len(set(days)) == len(days)
    assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:], strict=False))


def test_skip_drops_one_local_date_only() -> None:
    now = utc(2026, 6, 1, 12)  # 08:00 in New York: today's 09:00 is still ahead
    due = next_due(now, time(9, 0), NEW_YORK, skip_on=date(2026, 6, 2))
    assert due == utc(2026, 6, 1, 13)
    assert next_due(due, time(9, 0), NEW_YORK, skip_on=date(2026, 6, 2)) == utc(2026, 6, 3, 13)


def test_pause_resumes_on_the_given_local_date() -> None:
    due = next_due(utc(2026, 6, 1, 12), time(9, 0), NEW_YORK, resume_on=date(2026, 6, 4))
    assert due == utc(2026, 6, 4, 13)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        ("Europe/Berlin", date(2026, 3, 29), time(2, 15), "03:00"),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), "02:30"),  # a 30-minute gap
    ],
)
def test_gaps_in_other_zones(zone: str, day: date, at: time, expected: str) -> None:
    tz = ZoneInfo(zone)
    assert occurrence(day, at, tz).astimezone(tz).strftime("%H:%M") == expected


def test_parse_time() -> None:
    assert parse_time("08:05") == time(8, 5)
    with pytest.raises(ValueError):
        parse_time("8")


@pytest.mark.parametrize("wall", [time(2, 0, 1), time(2, 30), time(2, 59)])
def test_every_time_in_the_spring_forward_gap_lands_exactly_on_the_change(wall: time) -> None:
    due = next_due(datetime(2025, 3, 9, 5, 0, tzinfo=UTC), wall, ZoneInfo("America/New_York"))
    assert due == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT, not a second later
