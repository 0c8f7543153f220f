"""Deliver one turn's messages to a chat, in order, honouring the engine's pauses.

Messages before the first pause are sent at once, inside the update's handler (which
holds the chat's lock, so they cannot interleave with the next turn). From the first
pause on, the rest goes out from a background task per chat, so a 6-second breathing
pause blocks neither other patients nor this chat's next update. When the chat sends
something new, ``interrupt`` stops that task before the new update is handled: /cancel
stops a breathing exercise mid-way, and nothing of the old turn arrives after the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram.error import BadRequest, Forbidden

from bot.shared.messages import OutboundMessage
from bot.tg.sender import Sender, SendFailed

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """Per-chat delivery of message sequences; skips chats whose patient blocked the bot."""

    def __init__(
        self,
        sender: Sender,
        *,
        is_blocked: Callable[[int], bool],
        on_forbidden: Callable[[int], Awaitable[None]],
    ) -> None:
        self.sender = sender
        self._is_blocked = is_blocked
        self._on_forbidden = on_forbidden
        self._paced: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}

    async def deliver(self, chat_id: int, messages: Sequence[OutboundMessage]) -> None:
        """Send ``messages`` in order; from the first pause on, in the background."""
        first_pause = next((i for i, m in enumerate(messages) if m.pause_before > 0), len(messages))
        for message in messages[:first_pause]:
            if not await self._send(chat_id, message):
                return
        rest = list(messages[first_pause:])
        if rest:
            stop = asyncio.Event()
            task = asyncio.create_task(self._run_paced(chat_id, rest, stop))
            self._paced[chat_id] = (task, stop)
            task.add_done_callback(lambda done: self._forget(chat_id, done))

    async def interrupt(self, chat_id: int) -> bool:
        """Stop the chat's paced sequence (if any) and wait for it; True if one was running."""
        entry = self._paced.pop(chat_id, None)
        if entry is None:
            return False
        task, stop = entry
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return True

    def running(self, chat_id: int) -> bool:
        return chat_id in self._paced

    async def close(self) -> None:
        """Stop every paced sequence (at shutdown); their remaining messages are dropped."""
        for chat_id in list(self._paced):
            await self.interrupt(chat_id)

    async def _run_paced(
        self, chat_id: int, messages: list[OutboundMessage], stop: asyncio.Event
    ) -> None:
        for sent, message in enumerate(messages):
            if message.pause_before > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), message.pause_before)
            if stop.is_set():
                log.info(
                    "paced sequence stopped chat=%d sent=%d left=%d",
                    chat_id,
                    sent,
                    len(messages) - sent,
                )
                return
            if not await self._send(chat_id, message):
                return

    async def _send(self, chat_id: int, message: OutboundMessage) -> bool:
        """Send one message; False when the rest of the sequence should not be sent."""
        if self._is_blocked(chat_id):
            return False
        try:
            await self.sender.send(chat_id, message)
        except Forbidden:
            log.info("patient blocked the bot chat=%d", chat_id)
            await self._on_forbidden(chat_id)
            return False
        except BadRequest as exc:
            log.error("telegram refused a message chat=%d error=%s", chat_id, type(exc).__name__)
            return False
        except SendFailed:
            return False
        return True

    def _forget(self, chat_id: int, task: asyncio.Task[None]) -> None:
        entry = self._paced.get(chat_id)
        if entry is not None and entry[0] is task:
            del self._paced[chat_id]
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("paced sequence failed chat=%d error=%s", chat_id, type(exc).__name__)
