"""``RETENTION_MONTHS``: journal entries, safety events and patients older than the
setting are removed, at start and then daily (the Telegram channel schedules it).

"Older" for a patient means not seen (no message, no tap) for that long; the patient is
removed with everything they gave, as /delete does. Months are calendar months: with 6,
on 31 August what is older than 28 February goes (the closest day to a 31 February).
Each batch is its own short transaction, so a large first run never holds the database.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from bot.db import retention
from bot.db.session import Database

__all__ = ["RetentionReport", "apply_retention", "months_before"]

log = logging.getLogger(__name__)

BATCH = 500
#: Seconds one batch may take before it is given up (the next run goes on from there).
BATCH_TIMEOUT = 30.0


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` moved back ``months`` calendar months (the day clamped to the month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RetentionReport:
    journal_entries: int
    safety_events: int
    patients: int


async def apply_retention(
    database: Database, months: int, *, now: datetime | None = None, batch: int = BATCH
) -> RetentionReport:
    """Remove what is older than ``months``; counts only in the log, never who."""
    cutoff = months_before(now or datetime.now(UTC), months)

    async def drain(remove: Callable[..., int]) -> int:
        total = 0
        while True:

            def step(connection: Connection) -> int:
                return remove(connection, before=cutoff, limit=batch)

            removed = await database.transaction(step, timeout=BATCH_TIMEOUT)
            total += removed
            if removed < batch:
                return total
            await asyncio.sleep(0)  # let waiting events in between batches

    report = RetentionReport(
        patients=await drain(retention.delete_inactive_patients),
        journal_entries=await drain(retention.delete_old_journal),
        safety_events=await drain(retention.delete_old_safety_events),
    )
    log.info(
        "retention months=%d removed journal_entries=%d safety_events=%d patients=%d",
        months,
        report.journal_entries,
        report.safety_events,
        report.patients,
    )
    return report
