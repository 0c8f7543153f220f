"""Patients' time zones: which zone a patient lives in, and what day it is there.

A patient's day is their own calendar day (a check-in at 23:30 in Denver is that day, not
the next UTC one): /progress, the portal's figures, the risk note and the reminders all
count days this way, so they agree with each other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["local_date", "zone_or_default"]


def zone_or_default(name: str | None, default: str) -> ZoneInfo:
    """The patient's zone, or the practice's default when it is unset or unknown (and UTC
    when the default is unknown too)."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder
                continue
    return ZoneInfo("UTC")


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day ``moment`` fell on in ``zone`` (a naive datetime is UTC, as SQLite
    hands stored times back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()
