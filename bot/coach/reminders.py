"""The loop that sends due reminders: claim a batch, open the check-in, send, mark.

It knows no channel: it sends through a callable, which raises ``Blocked`` when the
patient blocked the bot. It spaces reminders evenly just under Telegram's 30/s and keeps
a few in flight; the bot's ``AIORateLimiter`` behind the callable still caps every send
and waits out 429 answers.

Over 300 lines: claiming, opening, sending and marking one batch share its rows and its
ordering, and read best in one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from bot import metrics
from bot.coach.reminder_extras import Rows, extra_rows
from bot.coach.reply import Reply
from bot.coach.service import CoachService, PatientBusy
from bot.reminders import store
from bot.reminders.store import Claim
from bot.shared import tokens
from bot.shared.content import Content
from bot.shared.messages import Button, OutboundMessage

__all__ = ["Blocked", "DispatchSettings", "Dispatcher", "SendFn"]

log = logging.getLogger(__name__)

SendFn = Callable[[str, OutboundMessage], Awaitable[None]]
CHECKIN_FLOW = "checkin"
SETTINGS_TOKEN = tokens.encode(tokens.OpenFlow("reminders"))


class Blocked(Exception):
    """The channel refused the message because the patient blocked the bot (a 403)."""


@dataclass(frozen=True)
class DispatchSettings:
    """How late a reminder may still go out, and how work is cut up."""

    grace: timedelta = timedelta(hours=2)
    # A claimed send left unsent this long (its process died) may be claimed again.
    lease: timedelta = timedelta(minutes=2)
    batch: int = 64
    # Sends in flight at once. Kept below the bot's HTTP connections (8), so a reminder
    # marked ``sending`` is on the wire, not queued behind others; 6 in flight carry 29/s
    # even at 200 ms per request.
    parallel: int = 6
    interval: float = 15.0
    # Reminders are spaced evenly at this many per second (0: not spaced). The bot's
    # AIORateLimiter still caps all sends at Telegram's 30/s, but it lets a burst through
    # at the start of each second, which Telegram may answer with 429; spacing avoids that.
    max_rate: float = 29.0


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
        self.send = send
        self.settings = settings or DispatchSettings()
        self.on_blocked = on_blocked
        self._gate = asyncio.Semaphore(self.settings.parallel)
        self._pace_lock = asyncio.Lock()
        self._record_lock = asyncio.Lock()
        self._sent: list[tuple[Claim, datetime]] = []
        self._next_slot = 0.0

    async def tick(self, stop: asyncio.Event | None = None) -> Counter[str]:
        """Send everything due now (batch after batch, until ``stop``); counts by outcome."""
        outcomes: Counter[str] = Counter()
        sending: asyncio.Task[list[str]] | None = None
        try:
            # The next batch is claimed and opened while the last one is being sent.
            while stop is None or not stop.is_set():
                claims, handled, extras = await self.database.transaction(self._claim)
                if not handled and not claims:
                    break
                outcomes["handled"] += handled
                opened = await self._open(claims, extras)
                outcomes["failed"] += len(claims) - len(opened)
                if sending is not None:
                    outcomes.update(await sending)
                sending = asyncio.create_task(self._send_all(opened))
        finally:
            if sending is not None:
                outcomes.update(await sending)
        return outcomes

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set; errors are logged, not fatal."""
        log.info("reminder dispatcher started channel=%s", self.service.channel)
        try:
            added = await self.service.database.transaction(
                lambda c: store.schedule_missing(
                    c, channel=self.service.channel, now=datetime.now(UTC)
                )
            )
            if added:
                log.info("reminders scheduled for patients who had none count=%d", added)
        except Exception as exc:  # noqa: BLE001 - the next start tries again
            log.error("reminder backfill failed error=%s", type(exc).__name__)
        while not stop.is_set():
            try:
                outcomes = await self.tick(stop)
                metrics.count_reminders(outcomes)
                if outcomes.get("sent") or outcomes.get("blocked") or outcomes.get("failed"):
                    log.info("reminders dispatched %s", _counts(outcomes))
            except Exception as exc:  # noqa: BLE001 - a bad tick must not end the loop
                log.error("reminder tick failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.interval)
        log.info("reminder dispatcher stopped channel=%s", self.service.channel)

    def _claim(self, connection: Connection) -> tuple[list[Claim], int, dict[int, Rows]]:
        """The claimed reminders, how many due rows were handled, and the extra buttons of
        each patient's reminder (bot.coach.reminder_extras)."""
        now = datetime.now(UTC)
        channel, grace, lease = self.service.channel, self.settings.grace, self.settings.lease
        stale = store.claim_stale(
            connection,
            channel=channel,
            now=now,
            grace=grace,
            lease=lease,
            limit=self.settings.batch,
        )
        fresh, handled = store.claim_due(
            connection,
            channel=channel,
            now=now,
            grace=grace,
            lease=lease,
            limit=max(self.settings.batch - len(stale), 0),
        )
        claims = stale + fresh
        extras = extra_rows(
            connection,
            channel=channel,
            claims=claims,
            engine=self.service.engine,
            now=now,
            default_timezone=self.service.default_timezone,
        )
        return claims, handled + len(stale), extras

    async def _open(
        self, claims: list[Claim], extras: dict[int, Rows]
    ) -> list[tuple[Claim, OutboundMessage]]:
        """Open every check-in of a batch before sending any, so that while sends are in
        flight the database mostly records what was sent and sends stay evenly spaced.
        One transaction for the batch; should it fail, each is opened on its own, so one
        patient's trouble does not hold back the others."""
        try:
            replies = await self.service.start_flows(
                [claim.external_id for claim in claims], CHECKIN_FLOW, unless_busy=store.HOLD_BLOCKS
            )
        except Exception as exc:  # noqa: BLE001 - opened one by one below
            log.warning("check-ins not opened together error=%s", type(exc).__name__)
            return await self._open_each(claims, extras)
        return [
            opened
            for claim in claims
            if (opened := self._opened(claim, replies.get(claim.external_id), extras))
        ]

    async def _open_each(
        self, claims: list[Claim], extras: dict[int, Rows]
    ) -> list[tuple[Claim, OutboundMessage]]:
        opened = []
        for claim in claims:
            try:
                reply = await self.service.start_flow(
                    claim.external_id, CHECKIN_FLOW, unless_busy=store.HOLD_BLOCKS
                )
            except PatientBusy:
                reply = None
            except Exception as exc:  # noqa: BLE001 - the lease brings it back later
                log.warning(
                    "check-in not opened patient=%d error=%s", claim.patient_id, type(exc).__name__
                )
                continue
            if found := self._opened(claim, reply, extras):
                opened.append(found)
        return opened

    def _opened(
        self, claim: Claim, reply: Reply | None, extras: dict[int, Rows]
    ) -> tuple[Claim, OutboundMessage] | None:
        """The reminder for an opened check-in; None (logged) when the patient was busy or gone."""
        if reply is None:
            log.info("check-in not opened patient=%d reason=busy_or_gone", claim.patient_id)
            return None
        message = self.message(reply.messages, claim.gentle, claim.detailed)
        if rows := extras.get(claim.patient_id):
            message = replace(message, buttons=(*message.buttons, *rows))
        return claim, message

    async def _send_all(self, opened: list[tuple[Claim, OutboundMessage]]) -> list[str]:
        if self.settings.max_rate > 0:
            return list(await asyncio.gather(*(self._send(c, m) for c, m in opened)))
        # Unpaced (no rate limit to keep to): ``parallel`` at a time. One transaction
        # records the group just sent and marks the next one ``sending``, so a group costs
        # one commit. Still at most ``parallel`` marked and in flight; a kill between a
        # send and that commit leaves it ``sending`` (``unknown``, never sent again), as
        # a kill during the send itself does.
        outcomes: list[str] = []
        sent: list[tuple[Claim, datetime]] = []
        for start in range(0, len(opened), self.settings.parallel):
            group = opened[start : start + self.settings.parallel]
            begun = await self.database.transaction(
                functools.partial(_record_and_begin, sent, group)
            )
            delivered = await asyncio.gather(
                *(self._stamped(c, m, b) for (c, m), b in zip(group, begun, strict=True))
            )
            outcomes.extend(outcome for outcome, _ in delivered)
            sent = [
                (c, at)
                for (c, _), (outcome, at) in zip(group, delivered, strict=True)
                if outcome == "sent"
            ]
        if sent:
            await self.database.transaction(lambda c: store.mark_sent(c, sent=sent))
        return outcomes

    async def _stamped(
        self, claim: Claim, message: OutboundMessage, begun: bool
    ) -> tuple[str, datetime]:
        """``_deliver``'s outcome and the instant it ended (when a sent one went out)."""
        outcome = await self._deliver(claim, message, begun)
        return outcome, datetime.now(UTC)

    async def _begin(self, claim: Claim) -> bool:
        """Take this send's turn and mark it ``sending``; False if it is no longer ours.

        Turns are at least 1/max_rate seconds apart, counted from when the previous send
        was marked (a late wake-up pushes the next one on, so sends never bunch up); the
        mark is inside the turn, so its database time cannot bunch them either.
        """
        async with self._pace_lock:
            loop = asyncio.get_running_loop()
            if self._next_slot > loop.time():
                await asyncio.sleep(self._next_slot - loop.time())
            begun = await self.database.transaction(lambda c: store.begin_sending(c, claim=claim))
            self._next_slot = loop.time() + 1 / self.settings.max_rate
            return begun

    async def _send(self, claim: Claim, message: OutboundMessage) -> str:
        """Send in this claim's paced turn, then record it (group commit)."""
        async with self._gate:
            outcome = await self._deliver(claim, message, await self._begin(claim))
            if outcome == "sent":
                await self._record_sent(claim)
            return outcome

    async def _deliver(self, claim: Claim, message: OutboundMessage, begun: bool) -> str:
        """Send one reminder already marked ``sending`` (``begun``; False: another process
        took it). Blocked and failed sends are recorded here; a sent one by the caller."""
        if not begun:
            return "taken"  # our lease ran out and another dispatcher claimed it
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
            await self.database.transaction(lambda c: store.release(c, claim=claim))
            return "failed"
        return "sent"

    async def _record_sent(self, claim: Claim) -> None:
        """Commit that ``claim`` was sent, sharing one transaction with the sends that
        finished meanwhile (group commit): the shorter the wait here, the fewer reminders
        a kill at this moment would send twice."""
        self._sent.append((claim, datetime.now(UTC)))
        async with self._record_lock:
            if not self._sent:
                return  # an earlier holder committed ours with its own
            batch, self._sent = self._sent, []
            await self.database.transaction(lambda c: store.mark_sent(c, sent=batch))

    @property
    def content(self) -> Content:
        """The texts in use now (a reload swaps the service's engine)."""
        return self.service.engine.library.content

    def message(
        self, opened: list[OutboundMessage], gentle: bool, detailed: bool = False
    ) -> OutboundMessage:
        """One neutral message with the check-in's first buttons, so one tap answers it.

        The check-in's own question is sent only to a patient who chose that: a lock
        screen shows this text to whoever is near the phone.
        """
        question = next((m for m in opened if m.buttons), None)
        buttons = question.buttons if question else ()
        if detailed and not gentle and question is not None:
            return question
        if not gentle:
            return OutboundMessage(self.content.get("reminders.nudge"), buttons=buttons)
        change = Button(self.content.get("reminders.change_button"), token=SETTINGS_TOKEN)
        return OutboundMessage(self.content.get("reminders.gentle"), buttons=(*buttons, (change,)))


def _record_and_begin(
    sent: list[tuple[Claim, datetime]],
    group: list[tuple[Claim, OutboundMessage]],
    connection: Connection,
) -> list[bool]:
    store.mark_sent(connection, sent=sent)
    return store.begin_sending_all(connection, claims=[claim for claim, _ in group])


def _counts(outcomes: Counter[str]) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted(outcomes.items()))
