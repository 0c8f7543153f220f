"""Reminders over Telegram: the dispatcher's send callable, through the bot's rate limiter.

Sending uses the same ``Sender`` (and so the same ``AIORateLimiter``, which queues sends
above Telegram's ~30 per second and waits out 429 answers) as every other message.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from telegram.error import Forbidden

from bot.coach.reminders import Blocked, Dispatcher, DispatchSettings
from bot.config import Settings
from bot.shared.messages import OutboundMessage
from bot.tg.handlers import TelegramChannel

__all__ = ["ReminderTask"]


class ReminderTask:
    """The dispatcher running as an asyncio task beside the bot; started and stopped with it."""

    def __init__(self, channel: TelegramChannel, settings: Settings, max_rate: float) -> None:
        self.channel = channel
        self.dispatcher = Dispatcher(
            channel.coach.service,
            self.send,
            DispatchSettings(
                grace=timedelta(minutes=settings.reminder_grace_minutes),
                interval=settings.reminder_interval_seconds,
                max_rate=max_rate,
            ),
            on_blocked=self._blocked,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.dispatcher.run(self._stop), name="reminders")

    async def stop(self) -> None:
        """Let the batch in flight finish marking what it sent, then end."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send(self, external_id: str, message: OutboundMessage) -> None:
        chat_id = int(external_id)
        if self.channel.is_blocked(chat_id):
            raise Blocked
        try:
            await self.channel.sender.send(chat_id, message)
        except Forbidden as exc:
            raise Blocked from exc

    async def _blocked(self, external_id: str) -> None:
        await self.channel.mark_blocked(int(external_id))
