"""Building risk: check-ins that stay low for several days, noticed gently once a day.

A single hard day is handled by the check-in flow itself. This looks across days: when
mood stays at 0-2 or craving at 9-10 on three of the last five days (the patient's own
calendar days), the coach says so kindly and offers the booking link and /sos. Pure
functions over plain values: the service feeds them stored check-ins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.shared.zones import local_date

__all__ = [
    "CHECK_IN_KIND",
    "NOTE_KIND",
    "RISK_KEY",
    "WINDOW_DAYS",
    "RiskRule",
    "is_low",
    "low_days",
    "risk_building",
]

CHECK_IN_KIND = "check_in"
#: A journal entry of its own kind remembers the local date the coach last said it.
NOTE_KIND = "risk_note"
RISK_KEY = "system.building_risk"
WINDOW_DAYS = 5


@dataclass(frozen=True)
class RiskRule:
    """The thresholds, kept together so a test or a practice can read them in one place."""

    mood_at_most: int = 2
    craving_at_least: int = 9
    low_days_needed: int = 3
    window_days: int = WINDOW_DAYS


DEFAULT_RULE = RiskRule()


def is_low(data: Mapping[str, Any], rule: RiskRule = DEFAULT_RULE) -> bool:
    """One check-in is low when mood is at the bottom or craving at the top of the scale."""
    mood, craving = data.get("mood"), data.get("craving")
    return (isinstance(mood, int | float) and mood <= rule.mood_at_most) or (
        isinstance(craving, int | float) and craving >= rule.craving_at_least
    )


def low_days(
    checkins: Iterable[tuple[datetime, Mapping[str, Any]]],
    zone: ZoneInfo,
    rule: RiskRule = DEFAULT_RULE,
) -> set[date]:
    """Local dates on which any check-in was low (several low check-ins a day count once)."""
    return {local_date(at, zone) for at, data in checkins if is_low(data, rule)}


def risk_building(
    checkins: Iterable[tuple[datetime, Mapping[str, Any]]],
    *,
    now: datetime,
    zone: ZoneInfo,
    last_said: date | None,
    rule: RiskRule = DEFAULT_RULE,
) -> date | None:
    """The local date to note building risk on, or None when it is not due.

    Due when today (the patient's date of ``now``) is a low day and, counting today, at
    least ``low_days_needed`` of the last ``window_days`` dates were low, and the coach
    has not said it yet today. Today must be low so a good day is never met with worry.
    """
    today = local_date(now, zone)
    if last_said == today:
        return None
    first = today - timedelta(days=rule.window_days - 1)
    days = {d for d in low_days(checkins, zone, rule) if first <= d <= today}
    if today not in days or len(days) < rule.low_days_needed:
        return None
    return today
