"""Long polling that never leaves a live process serving nobody.

PTB keeps polling with a back-off (up to 30 s) through network errors and 5xx answers,
which is what we want. But a token Telegram stops accepting (revoked in @BotFather) ends
PTB's polling loop while the process stays up, answering no one. ``PollingWatch`` sees
the 401 on the getUpdates connection itself and stops the application, so ``coach run``
exits with the token-rejected status (4) and one sentence, and a supervisor can tell.

An update PTB cannot parse is skipped and counted (bot.tg.payloads.without_poison)
instead of stalling polling. A hung getUpdates is bounded too: Telegram holds a long poll ``POLL_TIMEOUT`` seconds,
and the read gives up ``POLL_READ_MARGIN`` seconds after that; the loop polls again.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.tg.payloads import without_poison

__all__ = ["POLL_READ_MARGIN", "POLL_TIMEOUT", "PollingWatch", "quiet_polling_abort"]

log = logging.getLogger(__name__)

#: Seconds Telegram holds a getUpdates open when nothing is waiting.
POLL_TIMEOUT = 5
#: Seconds past that before a getUpdates that has not answered counts as hung.
POLL_READ_MARGIN = 3.0
_TOKEN_REJECTED = (401, 404)  # what PTB turns into InvalidToken


class PollingWatch:
    """Sees every answer the getUpdates connection gets: stops the bot on a rejected token,
    skips updates that cannot be read (``poison_updates`` counts them, for metrics)."""

    def __init__(self) -> None:
        self.token_rejected = False
        self.poison_updates = 0
        self._app: Any = None
        self._poison_seen: set[int] = set()

    def attach(self, app: Any) -> None:
        """The application to stop (a PTB ``Application``)."""
        self._app = app

    def inspect(self, status: int, body: bytes) -> bytes:
        """The answer PTB is to read: poison updates replaced by their bare ids."""
        self.saw(status)
        if status != 200:
            return body
        body, new = without_poison(body, self._poison_seen)
        self.poison_updates += new
        if len(self._poison_seen) > 1000:
            self._poison_seen.clear()
        return body

    def saw(self, status: int) -> None:
        if status not in _TOKEN_REJECTED or self.token_rejected:
            return
        self.token_rejected = True
        log.critical("Telegram rejected the bot token while polling; stopping")
        if self._app is not None and self._app.running:
            self._app.stop_running()


def quiet_polling_abort() -> None:
    """PTB logs the end of its polling loop with a traceback; the watch says it in one line."""
    logging.getLogger("telegram.ext").addFilter(_not_polling_abort)


def _not_polling_abort(record: logging.LogRecord) -> bool:
    return "Aborting retry loop" not in str(record.msg)
