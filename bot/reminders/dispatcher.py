"""The loop that sends due reminders: claim a batch, open the check-in, send, mark.

It knows no channel: it sends through a callable, which raises ``Blocked`` when the
patient blocked the bot. Telegram's limits are the callable's business (the bot's
``AIORateLimiter`` queues sends above ~30/s and waits out 429 answers); the dispatcher
only keeps a bounded number of sends in flight so the limiter always has work queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from bot.flow.turn import Button, OutboundMessage
from bot.reminders import store
from bot.reminders.store import Claim
from bot.service import CoachService

__all__ = ["Blocked", "DispatchSettings", "Dispatcher", "SendFn"]

log = logging.getLogger(__name__)

SendFn = Callable[[str, OutboundMessage], Awaitable[None]]
CHECKIN_FLOW = "checkin"
SETTINGS_TOKEN = "flow:reminders"


class Blocked(Exception):
    """The channel refused the message because the patient blocked the bot (a 403)."""


@dataclass(frozen=True)
class DispatchSettings:
    """How late a reminder may still go out, and how work is cut up."""

    grace: timedelta = timedelta(hours=2)
    # A claimed send left unsent this long (its process died) may be claimed again.
    lease: timedelta = timedelta(minutes=2)
    batch: int = 64
    parallel: int = 32
    interval: float = 15.0


class Dispatcher:
    """Sends every due reminder of one channel exactly once (see ``bot.reminders.store``)."""

    def __init__(
        self,
        service: CoachService,
        send: SendFn,
        settings: DispatchSettings | None = None,
        *,
        on_blocked: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self.database = service.database
        self.content = service.engine.library.content
        self.send = send
        self.settings = settings or DispatchSettings()
        self.on_blocked = on_blocked
        self._gate = asyncio.Semaphore(self.settings.parallel)

    async def tick(self, stop: asyncio.Event | None = None) -> Counter[str]:
        """Send everything due now (batch after batch, until ``stop``); counts by outcome."""
        outcomes: Counter[str] = Counter()
        while stop is None or not stop.is_set():
            claims, handled = await self.database.transaction(self._claim)
            if not handled and not claims:
                return outcomes
            outcomes.update(await self._deliver_batch(claims))
            outcomes["handled"] += handled
        return outcomes

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set; errors are logged, not fatal."""
        log.info("reminder dispatcher started channel=%s", self.service.channel)
        while not stop.is_set():
            try:
                outcomes = await self.tick(stop)
                if outcomes.get("sent") or outcomes.get("blocked") or outcomes.get("failed"):
                    log.info("reminders dispatched %s", _counts(outcomes))
            except Exception as exc:  # noqa: BLE001 - a bad tick must not end the loop
                log.error("reminder tick failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.interval)
        log.info("reminder dispatcher stopped channel=%s", self.service.channel)

    def _claim(self, connection: Connection) -> tuple[list[Claim], int]:
        now = datetime.now(UTC)
        options = {
            "channel": self.service.channel,
            "now": now,
            "grace": self.settings.grace,
            "lease": self.settings.lease,
        }
        stale = store.claim_stale(connection, limit=self.settings.batch, **options)  # type: ignore[arg-type]
        fresh, handled = store.claim_due(
            connection, limit=max(self.settings.batch - len(stale), 0), **options  # type: ignore[arg-type]
        )
        return stale + fresh, handled + len(stale)

    async def _deliver_batch(self, claims: list[Claim]) -> list[str]:
        """Open every check-in first, then send: while sends are in flight the database
        only records what was sent, so the window between Telegram accepting a reminder
        and ``sent`` being committed (a kill there means one duplicate) stays short."""
        opened = []
        for claim in claims:
            try:
                reply = await self.service.start_flow(claim.external_id, CHECKIN_FLOW)
            except Exception as exc:  # noqa: BLE001 - the lease brings it back later
                log.warning("check-in not opened patient=%d error=%s",
                            claim.patient_id, type(exc).__name__)
                continue
            opened.append((claim, self.message(reply.messages, claim.gentle)))
        results = await asyncio.gather(*(self._send(c, m) for c, m in opened))
        return [*results, *["failed"] * (len(claims) - len(opened))]

    async def _send(self, claim: Claim, message: OutboundMessage) -> str:
        async with self._gate:
            try:
                await self.send(claim.external_id, message)
            except Blocked:
                await self.database.transaction(lambda c: store.mark_blocked(c, claim=claim))
                log.info("reminders off: patient blocked the bot patient=%d", claim.patient_id)
                if self.on_blocked is not None:
                    await self.on_blocked(claim.external_id)
                return "blocked"
            except Exception as exc:  # noqa: BLE001 - the lease brings it back later
                log.warning(
                    "reminder not sent patient=%d error=%s", claim.patient_id, type(exc).__name__
                )
                return "failed"
            now = datetime.now(UTC)
            await self.database.transaction(lambda c: store.mark_sent(c, claim=claim, now=now))
            return "sent"

    def message(self, opened: list[OutboundMessage], gentle: bool) -> OutboundMessage:
        """One neutral message with the check-in's first buttons, so one tap answers it.

        The check-in's own question is not sent: a lock screen shows only this text.
        """
        buttons = next((m.buttons for m in opened if m.buttons), ())
        if not gentle:
            return OutboundMessage(self.content.get("reminders.nudge"), buttons=buttons)
        change = Button(self.content.get("reminders.change_button"), token=SETTINGS_TOKEN)
        return OutboundMessage(
            self.content.get("reminders.gentle"), buttons=(*buttons, (change,))
        )


def _counts(outcomes: Counter[str]) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted(outcomes.items()))
