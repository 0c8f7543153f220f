"""Profile changes a step asks for, and the reminder schedule that follows from them.

``bot.db.store.update_profile`` only writes the columns; rescheduling is said here, in the
application layer, so storage never reaches up into the reminders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from bot.db import store
from bot.db.models import utcnow
from bot.reminders import policy
from bot.reminders.store import reschedule

__all__ = ["update_profile"]


def update_profile(connection: Connection, *, patient_id: int, updates: dict[str, Any]) -> None:
    """Store ``updates`` and, when they touch the daily reminder, move its schedule."""
    store.update_profile(connection, patient_id=patient_id, updates=updates)
    change = policy.reminder_change(updates)
    if change is not None:
        reschedule(
            connection,
            patient_id=patient_id,
            now=utcnow(),
            turned_on=change.turned_on,
            skip_tomorrow=change.skip_tomorrow,
            pause_days=change.pause_days,
            detailed=change.detailed,
        )
