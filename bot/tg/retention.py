"""Runs ``RETENTION_MONTHS`` in the bot: once just after start, then every day, on PTB's
job queue beside the clean-up of handled update ids."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.coach.retention import apply_retention
from bot.coach.service import CoachService

log = logging.getLogger(__name__)

RETENTION_INTERVAL = 24 * 3600.0
#: Seconds after start of the first run (the bot answers patients first).
RETENTION_FIRST = 2.0


def schedule_retention(
    app: Application[Any, Any, Any, Any, Any, Any], service: CoachService, months: int | None
) -> None:
    """Remove what is older than ``months`` now and daily; nothing when it is None."""
    if months is None or app.job_queue is None:
        log.info("retention off: everything is kept until the patient deletes it")
        return

    async def run(_context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await apply_retention(service.database, months)
        except Exception as exc:  # noqa: BLE001 - tomorrow's run tries again
            log.error("retention failed error=%s", type(exc).__name__)

    app.job_queue.run_repeating(
        run, interval=RETENTION_INTERVAL, first=RETENTION_FIRST, name="retention"
    )
