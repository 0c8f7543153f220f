"""One poller per bot: a second `coach run` (polling) on the same token refuses to run.

Telegram hands each update to one getUpdates caller; with two pollers each gets part of
the traffic and both see 409 Conflict again and again. So a poller first takes a lock in
the database (``ProcessLock``: every process of one practice shares it), and a 409 from
Telegram (a poller on another database, or another machine) stops this one too. Either
way the process ends with one sentence and ``ExitCode.ALREADY_POLLING``; several processes
serve one bot through ``coach run --webhook`` instead. (On PostgreSQL the lock lives as long
as the poller's connection: a server restart frees it, and Telegram's 409 is then the guard.)
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import Conflict
from telegram.ext import ContextTypes

from bot.config import ExitCode, Settings, StartupError
from bot.db.locks import ProcessLock

log = logging.getLogger(__name__)

ALREADY_POLLING = (
    "Another `coach run` is already polling Telegram for this bot ({how}); stop it first, "
    "or run several processes with `coach run --webhook` behind a load balancer."
)
_CONFLICT_KEY = "coach_polling_conflict"


def _bot_id(settings: Settings) -> str:
    """The bot's numeric id: the token's part before the colon (not the secret part)."""
    return settings.bot_token().partition(":")[0]


async def hold_polling_lock(settings: Settings) -> ProcessLock:
    """The lock that makes this process the bot's only poller; raises StartupError if
    another process holds it."""
    try:
        lock = await ProcessLock.try_acquire(settings.database_url, f"polling-{_bot_id(settings)}")
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        raise StartupError(
            f"The polling lock could not be taken in the database ({type(exc).__name__}); "
            "check DATABASE_URL and that the server is running.",
            ExitCode.DATABASE,
        ) from None
    if lock is None:
        raise StartupError(
            ALREADY_POLLING.format(how="it holds the polling lock in the same database"),
            ExitCode.ALREADY_POLLING,
        )
    return lock


async def stop_on_conflict(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's error handler for polling: Telegram's 409 means another poller; stop."""
    if update is not None or not isinstance(context.error, Conflict):
        return
    application: Any = context.application
    if not application.bot_data.get(_CONFLICT_KEY):
        application.bot_data[_CONFLICT_KEY] = True
        log.error("telegram answered 409 conflict: another poller on this token; stopping")
        application.stop_running()


def raise_if_conflicted(bot_data: dict[str, Any]) -> None:
    """After polling ended: one sentence if it ended because of another poller."""
    if bot_data.get(_CONFLICT_KEY):
        raise StartupError(
            ALREADY_POLLING.format(how="Telegram answered 409 Conflict"),
            ExitCode.ALREADY_POLLING,
        )
