"""Run one chat's updates strictly in order while different chats run concurrently.

PTB's ``SimpleUpdateProcessor`` runs every update as soon as it arrives, so a quick second
answer could overtake the first and be stored against the wrong step. Here each chat has
an ``asyncio.Lock``; locks are FIFO, and PTB starts the update tasks in the order Telegram
delivered them, so a chat's updates are handled one after the other in that order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["PerChatUpdateProcessor"]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most one update per chat at a time; up to ``max_concurrent_updates`` overall, of
    which ``at_once`` run (the rest wait in memory).

    ``at_once`` is taken after the chat's lock: an update waiting for its chat's earlier
    one holds no place, so one chat sending a burst does not hold the others up."""

    def __init__(self, max_concurrent_updates: int = 512, at_once: int | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._places = asyncio.Semaphore(at_once or max_concurrent_updates)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = _chat_id(update)
        if chat_id is None:
            async with self._places:
                await coroutine
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock, self._places:
                await coroutine
        finally:
            self._users[chat_id] -= 1
            if self._users[chat_id] == 0:
                # Nobody waits for this chat: forget the lock so the dict stays small.
                del self._users[chat_id]
                del self._locks[chat_id]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made on first use."""

    async def shutdown(self) -> None:
        """Nothing to free: a lock is dropped when its chat has no update waiting."""

    @property
    def active_chats(self) -> int:
        """How many chats have an update running or waiting (for tests and metrics)."""
        return len(self._locks)


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
