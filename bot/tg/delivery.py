"""Deliver messages to a chat, in order, honouring the engine's pauses: the one home of sending.

A stored turn's messages come as outbox rows (bot.db.outbox), committed with the step and
leased to this process. They are sent right after the commit and deleted once Telegram
accepted them. If Telegram says 429, the chat's rows wait the ``retry_after`` it asked
for; a 5xx or a reset connection (after the sender's quick retries) backs off for longer
each time. Either way the rows are given back to the outbox, and ``drain`` (every live
process runs one) sends them when they are due, as it sends the rows a killed process
left behind once their lease runs out. Only that chat waits: every other chat goes on.

Messages before the first pause are sent at once, inside the update's handler (which
holds the chat's lock, so they cannot interleave with the next turn). From the first
pause on, the rest goes out from a background task per chat, so a 6-second breathing
pause blocks neither other patients nor this chat's next update. When the chat sends
something new, ``interrupt`` stops that task before the new update is handled: /cancel
stops a breathing exercise mid-way, and nothing of the old turn arrives after the new one
(its unsent rows are deleted).

Messages that were not stored (the database was away, an apology, help lines without a
step) are sent the same way from memory, with the same waits, a few times at most.

Over 300 lines: the one home of sending; pacing, 429 waits and hand-backs share one
per-chat lock and task, and cannot be read apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.db import outbox
from bot.db.models import as_utc, utcnow
from bot.db.session import Database
from bot.shared.messages import OutboundMessage
from bot.tg.log_refs import chat_ref
from bot.tg.sender import RateLimited, Sender, SendFailed

__all__ = ["BACKOFF", "DRAIN_INTERVAL", "Delivery"]

log = logging.getLogger(__name__)

#: Seconds between looks for outbox rows that are due (any process may send them).
DRAIN_INTERVAL = 0.5
#: Back-off after a failed send (5xx, reset, timeout): by attempt, then the last one again.
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Tries of a message that was not stored (it lives only in memory).
MEMORY_TRIES = 4
#: Seconds any one bookkeeping transaction of the outbox may take.
_DB_TIMEOUT = 5.0
_DB_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


@dataclass
class _Item:
    message: OutboundMessage
    row: outbox.Pending | None = None  # None: not stored, sent from memory


class _Stop(Exception):
    """The rest of this chat's sequence is not sent now. ``wait``: hand the chat's rows
    back to the outbox for that many seconds (``failed``: counts as a failed attempt)."""

    def __init__(self, wait: float | None = None, failed: bool = False) -> None:
        super().__init__()
        self.wait = wait
        self.failed = failed


class Delivery:
    """Per-chat delivery of message sequences; skips chats whose patient blocked the bot."""

    def __init__(
        self,
        sender: Sender,
        database: Database,
        channel: str,
        *,
        owner: str,
        is_blocked: Callable[[int], bool],
        on_forbidden: Callable[[int], Awaitable[None]],
        drain_interval: float = DRAIN_INTERVAL,
    ) -> None:
        self.sender = sender
        self.database = database
        self.channel = channel
        self.owner = owner
        self.drain_interval = drain_interval
        self._is_blocked = is_blocked
        self._on_forbidden = on_forbidden
        self._paced: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._drainer: asyncio.Task[None] | None = None
        self._bookkeeping: set[asyncio.Task[None]] = set()

    # -- entry points ----------------------------------------------------------------------

    async def deliver(self, chat_id: int, messages: Sequence[OutboundMessage]) -> None:
        """Send messages that were not stored, in order; from the first pause on, later."""
        await self._deliver(chat_id, [_Item(m) for m in messages])

    async def deliver_stored(self, chat_id: int, rows: Sequence[outbox.Pending]) -> None:
        """Send a committed turn's outbox rows, then delete them (or hand them back)."""
        await self._deliver(chat_id, [_Item(r.message, r) for r in rows])

    async def interrupt(self, chat_id: int) -> bool:
        """Stop the chat's paced sequence (if any) and wait for it; True if one was running.
        Its unsent rows are deleted: the new event decides what comes next."""
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

    def start(self) -> None:
        """Start sending due outbox rows: left by a killed process, or waiting out a 429."""
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain_forever(), name="outbox")

    async def drain(self) -> int:
        """Claim the rows that are due and start sending them, chat by chat; how many."""

        def claim(connection: Connection) -> list[outbox.Pending]:
            return outbox.claim_due(connection, channel=self.channel, owner=self.owner)

        try:
            rows = await self.database.transaction(claim, timeout=_DB_TIMEOUT)
        except _DB_ERRORS as exc:
            log.warning("outbox not read error=%s", type(exc).__name__)
            return 0
        by_chat: dict[str, list[outbox.Pending]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        for external_id, chat_rows in by_chat.items():
            chat_id = int(external_id)
            task = asyncio.create_task(self._resend(chat_id, chat_rows))
            self._draining[chat_id] = task
            task.add_done_callback(functools.partial(self._forget_drain, chat_id))
        return len(rows)

    async def close(self) -> None:
        """Stop sending (at shutdown). Rows not yet sent stay in the outbox: once their lease
        runs out, the next process to start (or another live one) sends them."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
            self._drainer = None
        tasks = [task for task, _ in self._paced.values()] + list(self._draining.values())
        tasks += list(self._bookkeeping)
        self._paced.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- sending -----------------------------------------------------------------------------

    async def _deliver(self, chat_id: int, items: list[_Item]) -> None:
        first_pause = next(
            (i for i, item in enumerate(items) if item.message.pause_before > 0), len(items)
        )
        async with self._lock(chat_id):
            done: list[int] = []
            try:
                for item in items[:first_pause]:
                    row = await self._send(chat_id, item)
                    if row is not None:
                        done.append(row.id)
            except _Stop as stopped:
                await self._sent(done)
                await self._hand_back(chat_id, stopped)
                return
            await self._sent(done)
        rest = items[first_pause:]
        if rest:
            stop = asyncio.Event()
            task = asyncio.create_task(self._run_paced(chat_id, rest, stop))
            self._paced[chat_id] = (task, stop)
            task.add_done_callback(lambda done: self._forget_paced(chat_id, done))

    async def _resend(self, chat_id: int, rows: list[outbox.Pending]) -> None:
        """Rows the drain claimed: dropped when too old or the patient blocked the bot."""
        oldest = min((r.created_at for r in rows if r.created_at is not None), default=None)
        if self._is_blocked(chat_id) or (
            oldest is not None and utcnow() - as_utc(oldest) > outbox.MAX_AGE
        ):
            log.error("outbox rows dropped chat=%s count=%d", chat_ref(chat_id), len(rows))
            await self._sent([r.id for r in rows])
            return
        log.info("outbox rows resent chat=%s count=%d", chat_ref(chat_id), len(rows))
        await self.interrupt(chat_id)  # a paced rest of an older turn must not interleave
        await self.deliver_stored(chat_id, rows)

    async def _run_paced(self, chat_id: int, items: list[_Item], stop: asyncio.Event) -> None:
        for sent, item in enumerate(items):
            if item.message.pause_before > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), item.message.pause_before)
            if stop.is_set():
                log.info(
                    "paced sequence stopped chat=%s sent=%d left=%d",
                    chat_ref(chat_id),
                    sent,
                    len(items) - sent,
                )
                await self._sent([i.row.id for i in items[sent:] if i.row is not None])
                return
            try:
                row = await self._send(chat_id, item)
            except _Stop as stopped:
                await self._hand_back(chat_id, stopped)
                return
            if row is not None:
                await self._sent([row.id])

    async def _send(self, chat_id: int, item: _Item) -> outbox.Pending | None:
        """Send one message; its row to delete once sent. Raises _Stop when the rest of the
        sequence is not to be sent, or is to wait in the outbox (a stored one)."""
        for attempt in range(1, MEMORY_TRIES + 1):
            if self._is_blocked(chat_id):
                if item.row is not None:
                    await self._forget_chat(chat_id)
                raise _Stop
            try:
                await self.sender.send(chat_id, item.message)
                return item.row
            except Forbidden:
                log.info("patient blocked the bot chat=%s", chat_ref(chat_id))
                await self._on_forbidden(chat_id)
                await self._forget_chat(chat_id)
                raise _Stop from None
            except BadRequest as exc:
                log.error(
                    "telegram refused a message chat=%s error=%s",
                    chat_ref(chat_id),
                    type(exc).__name__,
                )
                return item.row  # never to be taken: not tried again
            except (SendFailed, TelegramError) as exc:  # another TelegramError: tried again
                limited = isinstance(exc, RateLimited)
                tries = item.row.attempts if item.row is not None else attempt - 1
                wait = BACKOFF[min(tries, len(BACKOFF) - 1)]
                if isinstance(exc, RateLimited):
                    wait = exc.retry_after
                if item.row is not None:
                    raise _Stop(wait, failed=not limited) from None
                if attempt == MEMORY_TRIES:
                    log.error("message not sent chat=%s tries=%d", chat_ref(chat_id), attempt)
                    raise _Stop from None
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _hand_back(self, chat_id: int, stop: _Stop) -> None:
        """Every row of the chat this process holds waits ``stop.wait`` seconds in the outbox;
        then any live process sends them (the drain)."""
        if stop.wait is None:
            return
        not_before = utcnow() + timedelta(seconds=stop.wait)

        def hand_back(connection: Connection) -> int:
            held = outbox.held_by(
                connection, channel=self.channel, chat_id=str(chat_id), owner=self.owner
            )
            return outbox.retry_later(
                connection, ids=held, owner=self.owner, not_before=not_before, failed=stop.failed
            )

        try:
            await self.database.transaction(hand_back, timeout=_DB_TIMEOUT)
        except _DB_ERRORS as exc:  # the lease runs out instead
            log.warning("outbox rows not handed back error=%s", type(exc).__name__)
        log.info(
            "outbox rows wait chat=%s seconds=%g reason=%s",
            chat_ref(chat_id),
            stop.wait,
            "failure" if stop.failed else "rate_limit",
        )

    async def _sent(self, ids: list[int]) -> None:
        """Delete rows Telegram took. A busy database is tried again in the background;
        rows it never deletes are sent again after their lease (a duplicate, never a loss)."""
        if not ids:
            return
        if await self._delete(ids):
            return
        task = asyncio.create_task(self._delete_later(ids))
        self._bookkeeping.add(task)
        task.add_done_callback(self._bookkeeping.discard)

    async def _delete(self, ids: list[int]) -> bool:
        try:
            await self.database.transaction(lambda c: outbox.sent(c, ids=ids), timeout=_DB_TIMEOUT)
        except _DB_ERRORS as exc:
            log.warning(
                "outbox rows not marked sent count=%d error=%s", len(ids), type(exc).__name__
            )
            return False
        return True

    async def _delete_later(self, ids: list[int]) -> None:
        for pause in (1.0, 2.0, 4.0):
            await asyncio.sleep(pause)
            if await self._delete(ids):
                return

    async def _forget_chat(self, chat_id: int) -> None:
        try:
            await self.database.transaction(
                lambda c: outbox.forget_chat(c, channel=self.channel, chat_id=str(chat_id)),
                timeout=_DB_TIMEOUT,
            )
        except _DB_ERRORS as exc:
            log.warning("outbox rows not dropped error=%s", type(exc).__name__)

    # -- bookkeeping -------------------------------------------------------------------------

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            if len(self._locks) > 1000:  # forget idle chats so the dict stays small
                for idle in [c for c, held in self._locks.items() if not held.locked()]:
                    del self._locks[idle]
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def _drain_forever(self) -> None:
        while True:
            await self.drain()
            await asyncio.sleep(self.drain_interval)

    def _forget_drain(self, chat_id: int, task: asyncio.Task[None]) -> None:
        if self._draining.get(chat_id) is task:
            del self._draining[chat_id]
        _log_failure(task, chat_id)

    def _forget_paced(self, chat_id: int, task: asyncio.Task[None]) -> None:
        entry = self._paced.get(chat_id)
        if entry is not None and entry[0] is task:
            del self._paced[chat_id]
        _log_failure(task, chat_id)


def _log_failure(task: asyncio.Task[None], chat_id: int) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        log.error("delivery failed chat=%s error=%s", chat_ref(chat_id), type(exc).__name__)
