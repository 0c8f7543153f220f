"""What a daily reminder carries beside the check-in's first buttons.

A reminder is one neutral message (its words show on a lock screen); below them, the
buttons of the check-in it opened, and, for the patients of a claimed batch who have one:
the button to rate a planned activity whose time has passed (``activity_followup``), and
the button for a questionnaire that is due (``measure_offers``). Read once per claimed
batch, in the claim's own transaction, with grouped queries (not one per patient).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from bot.coach.activity_followup import RATE_TOKEN, ratings_due
from bot.coach.measure_offers import due_on_reminders, reminder_button
from bot.flow.engine import Engine
from bot.reminders.store import Claim
from bot.shared.messages import Button

__all__ = ["Rows", "extra_rows"]

Rows = tuple[tuple[Button, ...], ...]


def extra_rows(
    connection: Connection,
    *,
    channel: str,
    claims: Sequence[Claim],
    engine: Engine,
    now: datetime,
    default_timezone: str,
) -> dict[int, Rows]:
    """The extra button rows of each claimed patient's reminder (patients without any are
    left out)."""
    if not claims:
        return {}
    rate = ratings_due(
        connection, channel=channel, claims=claims, now=now, default_timezone=default_timezone
    )
    measures = due_on_reminders(connection, [c.patient_id for c in claims], engine, now)
    content = engine.library.content
    rows: dict[int, Rows] = {}
    for claim in claims:
        found: list[tuple[Button, ...]] = []
        if claim.patient_id in rate:
            found.append((Button(content.get("reminders.rate_plan_button"), token=RATE_TOKEN),))
        if (due := measures.get(claim.patient_id)) is not None:
            found.append((reminder_button(due, engine),))
        if found:
            rows[claim.patient_id] = tuple(found)
    return rows
