"""Send on-call notices to the practice's chat without ever holding up a patient's reply.

Each notice goes out from a background task after the patient's crisis response has been
sent. Past the per-minute cap, notices are held and sent as one summary when the minute
has passed. A failure is logged with the category only: never a name, and never the
patient beside the kind of help they needed (that pair is health data).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.safety.oncall import (
    NoticeLimiter,
    OncallNotice,
    notice_text,
    portal_notice_text,
    portal_summary_text,
    summary_text,
)
from bot.shared.content import Content
from bot.shared.messages import OutboundMessage
from bot.tg.sender import Sender

__all__ = ["OncallAlerts"]

log = logging.getLogger(__name__)


class OncallAlerts:
    """The on-call chat of one running bot."""

    def __init__(
        self,
        sender: Sender,
        chat_id: int,
        content: Callable[[], Content],
        limiter: NoticeLimiter,
        portal_link: str | None = None,
    ) -> None:
        """``content`` gives the texts in use now, so a reload's new wording is used.
        ``portal_link``: the clinician portal's alert queue; when set, a notice says only
        that an alert is waiting there (no name, no category)."""
        self.portal_link = portal_link
        self.sender = sender
        self.chat_id = chat_id
        self.content = content
        self.limiter = limiter
        self._tasks: set[asyncio.Task[None]] = set()
        self._summary: asyncio.Task[None] | None = None

    def notify(self, notice: OncallNotice) -> None:
        """Send ``notice`` soon (or hold it for the summary); returns at once."""
        if self.limiter.admit():
            self._spawn(self._send(self._text(notice), notice.category))
            return
        log.warning(
            "oncall notice held category=%s held=%d",
            notice.category,
            self.limiter.held + 1,
        )
        if self.limiter.hold(notice):
            self._summary = asyncio.create_task(self._send_summary_later())

    async def close(self) -> None:
        """Wait briefly for notices in flight (at shutdown); a held summary is sent now."""
        if self._summary is not None:
            self._summary.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._summary
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=5)
            for task in pending:
                task.cancel()
        held = self.limiter.take_held()
        if held:
            await self._send(self._summary_text(held), f"summary:{len(held)}")

    def _text(self, notice: OncallNotice) -> str:
        if self.portal_link is not None:
            return portal_notice_text(self.content(), self.portal_link)
        return notice_text(self.content(), notice)

    def _summary_text(self, held: list[OncallNotice]) -> str:
        if self.portal_link is not None:
            return portal_summary_text(self.content(), len(held), self.portal_link)
        return summary_text(self.content(), held)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_summary_later(self) -> None:
        await asyncio.sleep(self.limiter.wait())
        held = self.limiter.take_held()
        if held:
            await self._send(self._summary_text(held), f"summary:{len(held)}")

    async def _send(self, text: str, category: str) -> None:
        try:
            await self.sender.send(self.chat_id, OutboundMessage(text))
        except Exception as exc:  # noqa: BLE001 - a notice must never break the bot
            log.error(
                "oncall notice failed category=%s error=%s",
                category,
                type(exc).__name__,
            )
            return
        log.info("oncall notice sent category=%s", category)
