"""The bot's upkeep on PTB's job queue: old update ids and idle places pruned hourly, safety
events spooled without the database stored every 30 s, and ``RETENTION_MONTHS`` applied
just after start and then daily. Each job logs a count or an error kind, never words."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.coach.retention import apply_retention
from bot.coach.service import CoachService

__all__ = ["schedule_upkeep"]

log = logging.getLogger(__name__)

PRUNE_INTERVAL = 3600.0  # seconds between clean-ups (handled update ids, idle places)
SPOOL_INTERVAL = 30.0  # seconds between looks for spooled safety events
RETENTION_INTERVAL = 24 * 3600.0
#: Seconds after start of the first retention run (the bot answers patients first).
RETENTION_FIRST = 2.0


def schedule_upkeep(
    app: Application[Any, Any, Any, Any, Any, Any], service: CoachService, months: int | None
) -> None:
    """Start the upkeep jobs; retention only when ``months`` is set."""
    if app.job_queue is None:
        return

    async def prune(_context: ContextTypes.DEFAULT_TYPE) -> None:
        removed = await service.prune()
        log.info("pruned handled update ids and idle unconsented places count=%d", removed)

    async def drain_spool(_context: ContextTypes.DEFAULT_TYPE) -> None:
        """Safety events a crisis answered without the database left (this process's, or
        one killed before the database came back): stored with their own time, notices
        sent."""
        stored = await service.drain_spool()
        if stored:
            log.info("stored spooled safety events count=%d", stored)

    app.job_queue.run_repeating(prune, interval=PRUNE_INTERVAL, first=60, name="prune")
    app.job_queue.run_repeating(drain_spool, interval=SPOOL_INTERVAL, first=5, name="safety spool")
    if months is None:
        log.info("retention off: everything is kept until the patient deletes it")
        return

    async def retention(_context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await apply_retention(service.database, months)
        except Exception as exc:  # noqa: BLE001 - tomorrow's run tries again
            log.error("retention failed error=%s", type(exc).__name__)

    app.job_queue.run_repeating(
        retention, interval=RETENTION_INTERVAL, first=RETENTION_FIRST, name="retention"
    )
