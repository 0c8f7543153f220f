"""When the next daily reminder is due: pure functions over zoneinfo, no I/O.

A patient picks a wall-clock time ("HH:MM") in their own IANA zone. Each occurrence is
computed from a local calendar date, never by adding 24 hours, so daylight-saving
changes cannot double or drop a day:

* spring forward: a time inside the gap (02:30 on the night 02:00 becomes 03:00) is due
  once, at the first valid instant after the gap (03:00);
* fall back: a time that happens twice (01:30) is due once, at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.shared.zones import local_date

__all__ = ["next_due", "occurrence", "parse_time"]

# Look this many local days ahead at most (a pause is at most a few weeks).
_HORIZON_DAYS = 400


def parse_time(value: str) -> time:
    """ "HH:MM" as stored in ``patients.checkin_time``; raises ValueError when malformed."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def occurrence(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``zone`` (gap: its end; fold: the first)."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (and, when it happens twice, this is the earlier one)
    # A wall time in a spring-forward gap: the gap ends somewhere between the instant
    # read with the later offset and the one read with the earlier offset.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    # Transitions fall on whole seconds and ``high`` is less than a second past one.
    return high.replace(microsecond=0)


def next_due(
    after: datetime,
    at: time,
    zone: ZoneInfo,
    *,
    skip_on: date | None = None,
    resume_on: date | None = None,
) -> datetime:
    """The first occurrence strictly after ``after`` (UTC), not on ``skip_on``, not before ``resume_on``."""
    day = local_date(after, zone) - timedelta(days=1)  # yesterday's time may fall after ``after``
    for offset in range(_HORIZON_DAYS):
        candidate_day = day + timedelta(days=offset)
        if resume_on is not None and candidate_day < resume_on:
            continue
        if skip_on is not None and candidate_day == skip_on:
            continue
        candidate = occurrence(candidate_day, at, zone)
        if candidate > after:
            return candidate
    raise ValueError("no reminder falls within the horizon")  # pragma: no cover
