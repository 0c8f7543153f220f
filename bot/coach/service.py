"""One inbound event, one transaction: the glue between a channel, the engine and storage.

Every channel (Telegram, the terminal, the tests) calls ``CoachService``, and nothing
else: ``handle`` loads the conversation, lets the engine advance it, and commits the new
step with its journal records, profile changes, safety events, notes, the patient's
active flag and the processed update id together. Every command is answered from here:
/reload (for admins) and /export and /delete here, the rest by the engine.

Crisis help never waits for the database. The event is screened before any database
call; a crisis or /sos gets ``URGENT_DEADLINE`` seconds for its step, after which it is
answered with the stateless help lines and its safety event is stored afterwards, in the
background. Any other event gets ``EVENT_DEADLINE`` seconds, retries included, then the
kind "try again in a minute". Every database call has a deadline, so nothing queues.
A conversation that keeps changing underneath (another process) is tried
``CONFLICT_RETRIES`` times, then logged and answered the same way.

Over 300 lines: the one place an event meets the database, with its retries and the
answers it still gives without one.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.coach.alerts import alerts_for_turn, may_raise_urgent
from bot.coach.current import CurrentEngine
from bot.coach.delete_mark import delete_was_asked, mark_delete_asked
from bot.coach.measure_offers import offer_turn
from bot.coach.measures import questionnaires_of, store_administrations
from bot.coach.notes import (
    PortalMark,
    add_building_risk_note,
    oncall_notice_for,
    portal_mark,
    portal_notice_for,
)
from bot.coach.passing import PassingConversations, agrees, store_anonymously
from bot.coach.privacy import (
    DELETE_TOKEN,
    delete_everything,
    keep_earlier_plan,
    latest_entry,
    privacy_command,
    safety_plan_html,
)
from bot.coach.profile import update_profile
from bot.coach.progress.command import progress_reply, progress_weeks
from bot.coach.reply import Reply, reply_of
from bot.coach.safety_spool import SafetySpool, SpooledEvent
from bot.coach.sharing import note_invitation, sharing_event
from bot.db import outbox, retention, store
from bot.db.crypto import SharedSecret
from bot.db.locks import lock_chat, lock_chats
from bot.db.models import utcnow
from bot.db.session import Database, DeadlineExceeded
from bot.flow.answers import answer_to_direct_question
from bot.flow.engine import Engine
from bot.flow.engine.screening import Reading
from bot.safety.oncall import OncallNotice
from bot.shared import tokens
from bot.shared.conversation import PatientView
from bot.shared.messages import Inbound, OutboundMessage, SafetyEvent, Turn
from bot.shared.worker_process import WorkerFailed

__all__ = [
    "CONFLICT_RETRIES",
    "DB_RETRY_DELAYS",
    "EVENT_DEADLINE",
    "URGENT_DEADLINE",
    "CoachService",
    "PatientBusy",
    "Reply",
]

log = logging.getLogger(__name__)

DB_RETRY_DELAYS = (0.2, 0.5, 1.0)
CONFLICT_RETRIES = 5
#: Seconds an ordinary event may spend on the database, retries included.
EVENT_DEADLINE = 6.0
#: Seconds a crisis message or /sos may wait for its step before the stateless help lines.
URGENT_DEADLINE = 2.0
#: When a safety event answered without the database is tried again (seconds after).
SAFETY_EVENT_RETRIES = (5.0, 20.0, 60.0)
_DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class PatientBusy(Exception):
    """The flow was not opened: the patient is gone or in the middle of a crisis answer."""


class CoachService:
    """Handles events for one channel (``telegram``, ``terminal``) against one database."""

    def __init__(
        self,
        engine: Engine | CurrentEngine,
        database: Database,
        channel: str,
        *,
        oncall_quiet: timedelta | None = None,
        default_timezone: str = "America/New_York",
        reload_flows: Callable[[], Awaitable[str]] | None = None,
        assume_consent: bool = False,
        passing_secret: SharedSecret | None = None,
        spool: SafetySpool | None = None,
        portal_alerts: bool = False,
    ) -> None:
        """``oncall_quiet``: the quiet window of on-call notices; None when no on-call chat is set.
        ``portal_alerts``: the clinician portal's queue is the place of record (PORTAL_URL
        set); an on-call notice then follows an urgent alert, not the onboarding answer.
        ``reload_flows``: reloads flows and texts and says how it went (/reload, for admins).
        ``assume_consent``: store every chat as if it had agreed at /start (the terminal,
        where the clinician tries flows on their own machine); otherwise a chat that has
        not agreed is kept sealed and unnamed (bot.coach.passing).
        ``passing_secret``: what every process of this bot shares to seal those
        (``COACH_SECRET`` or its token).
        ``spool``: where a crisis's safety event answered without the database waits for
        it, on disk (bot.coach.safety_spool); None: in this process's memory only."""
        self.current = engine if isinstance(engine, CurrentEngine) else CurrentEngine(engine)
        self.database = database
        self.channel = channel
        self.oncall_quiet = oncall_quiet
        self.portal_alerts = portal_alerts
        self.default_timezone = default_timezone
        self.reload_flows = reload_flows
        #: Sends an on-call notice earned after the reply went out (set by the channel).
        self.notify_oncall: Callable[[OncallNotice], None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        #: Replies go through the durable outbox (set by a channel that drains it, Telegram);
        #: ``outbox_owner``: who this process is in the outbox's leases (bot.db.outbox).
        self.durable_replies = False
        self.outbox_owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.assume_consent = assume_consent
        self.passing = PassingConversations(passing_secret)
        self.spool = spool

    @property
    def engine(self) -> Engine:
        """The running engine (read it once per event: a reload may swap it)."""
        return self.current.engine

    @metrics.timed_step
    async def handle(
        self,
        external_id: str,
        event: Inbound,
        update_id: int | None = None,
        *,
        reactivate: bool = False,
        from_admin: bool = False,
    ) -> Reply:
        """Answer one event. ``reactivate``: the channel has not yet seen this patient active
        (first word since a start, or since they blocked the bot): store them active if they
        were not. ``from_admin``: the sender may /reload."""
        if from_admin and self.reload_flows is not None and _is_command(event, "reload"):
            log.info("reload requested")
            summary = await self.reload_flows()
            return Reply(messages=[OutboundMessage(html.escape(summary))], stored=False)
        # Screened before any database call: a crisis or /sos is answered within seconds.
        read = self.engine.read(event)  # read once; the reading goes down with the event
        urgent = _asks_for_sos(event) or self.engine.holds_crisis(event, read)
        clock = asyncio.get_running_loop().time
        deadline = clock() + (URGENT_DEADLINE if urgent else EVENT_DEADLINE)
        conflicts = failures = 0
        while True:
            try:
                return await self._handle_once(
                    external_id,
                    event,
                    update_id,
                    reactivate,
                    urgent,
                    read,
                    timeout=deadline - clock(),
                )
            except store.ConcurrentUpdate:
                conflicts += 1
                if conflicts < CONFLICT_RETRIES and clock() < deadline:
                    continue
                log.error(
                    "conversation kept changing underneath kind=%s attempts=%d",
                    event.kind,
                    conflicts,
                )
                return self._without_database(external_id, event, read, "system.error")
            except _DATABASE_ERRORS as exc:
                failures += 1
                metrics.DATABASE_ERRORS.labels(kind=type(exc).__name__).inc()
                log.warning("database error kind=%s attempt=%d", type(exc).__name__, failures)
                if isinstance(exc, DeadlineExceeded) or failures > len(DB_RETRY_DELAYS):
                    return self._without_database(external_id, event, read)
                pause = DB_RETRY_DELAYS[failures - 1]
                if clock() + pause >= deadline:
                    return self._without_database(external_id, event, read)
                await asyncio.sleep(pause)

    async def set_active(self, external_id: str, active: bool) -> bool:
        """The channel learnt the patient blocked (False) or unblocked (True) the bot.
        Returns whether it was stored (a database failure is logged, not raised)."""
        try:
            await self.database.transaction(
                lambda connection: store.set_active(
                    connection, channel=self.channel, external_id=external_id, active=active
                ),
                timeout=EVENT_DEADLINE,
            )
        except _DATABASE_ERRORS as exc:
            log.warning("active flag not stored error=%s", type(exc).__name__)
            return False
        log.info("patient active=%s", active)
        return True

    async def reactivate(self, external_id: str) -> bool:
        """A patient wrote something the coach cannot read (a sticker): they are active.
        Returns whether it was stored (a database failure is logged, not raised)."""
        try:
            await self.database.transaction(
                lambda connection: self._reactivate(connection, external_id),
                timeout=EVENT_DEADLINE,
            )
        except _DATABASE_ERRORS as exc:
            log.warning("active flag not read error=%s", type(exc).__name__)
            return False
        return True

    def _reactivate(self, connection: Connection, external_id: str) -> None:
        patient = store.find_patient(connection, channel=self.channel, external_id=external_id)
        if patient is not None and not patient.active:
            store.set_active(connection, channel=self.channel, external_id=external_id, active=True)
            log.info("patient active=True patient=%d", patient.id)

    async def start_flow(
        self,
        external_id: str,
        flow_id: str,
        *,
        at_step: str | None = None,
        variables: dict[str, Any] | None = None,
        unless_busy: timedelta | None = None,
    ) -> Reply:
        """Open a flow for a patient without a message from them (a reminder, or a try-out
        of one step with given answers in `coach chat --from`).

        ``unless_busy`` (reminders): raise PatientBusy instead when the patient is gone (a
        /delete since the reminder was claimed) or was held, less than this long ago, after
        a crisis answer or the direct question; checked in the transaction that would open it.
        """
        return await self.database.transaction(
            lambda c: self._open_flow(c, external_id, flow_id, at_step, variables, unless_busy)
        )

    async def start_flows(
        self, external_ids: list[str], flow_id: str, *, unless_busy: timedelta
    ) -> dict[str, Reply]:
        """``start_flow`` for many patients in one transaction (a batch of reminders: one
        commit instead of one each). A patient who is busy or gone is left out of the
        answer; any other failure fails the whole batch, and nothing of it is stored."""

        def open_all(connection: Connection) -> dict[str, Reply]:
            opened = {}
            # Every chat's lock, in one statement and one order (lock_chats), so two
            # batches that share chats (two reminder processes) wait for each other
            # instead of deadlocking; all before the batch's conversations are read.
            chats = sorted(set(external_ids))
            lock_chats(connection, [(self.channel, external_id) for external_id in chats])
            loaded = store.load_conversations(connection, channel=self.channel, external_ids=chats)
            saves: list[store.PendingSave] = []
            for external_id in chats:
                try:
                    opened[external_id] = self._open_loaded(
                        connection, loaded.get(external_id), flow_id, None, None, unless_busy, saves
                    )
                except PatientBusy:  # raised before anything of this patient was written
                    continue
            store.save_conversations(connection, saves=saves)
            return opened

        return await self.database.transaction(open_all)

    def _open_flow(
        self,
        connection: Connection,
        external_id: str,
        flow_id: str,
        at_step: str | None,
        variables: dict[str, Any] | None,
        unless_busy: timedelta | None,
    ) -> Reply:
        lock_chat(connection, channel=self.channel, external_id=external_id)
        loaded = store.load_conversation(
            connection,
            channel=self.channel,
            external_id=external_id,
            create=unless_busy is None,
        )
        return self._open_loaded(connection, loaded, flow_id, at_step, variables, unless_busy)

    def _open_loaded(
        self,
        connection: Connection,
        loaded: store.LoadedConversation | None,
        flow_id: str,
        at_step: str | None,
        variables: dict[str, Any] | None,
        unless_busy: timedelta | None,
        saves: list[store.PendingSave] | None = None,
    ) -> Reply:
        """Open ``flow_id`` in a conversation already read under its chat's lock.

        ``saves``: the conversation is added to it, to be saved with the batch's, instead
        of being saved here."""
        if loaded is None or not self._stores(loaded.patient):
            raise PatientBusy
        if unless_busy is not None and loaded.state.hold:
            since = store.conversation_updated_at(connection, patient_id=loaded.patient.id)
            if since is None or utcnow() - since < unless_busy:
                raise PatientBusy
        engine = self.engine
        if at_step is None:
            turn = engine.start(loaded.state, loaded.patient.view(), flow_id)
        else:
            turn = engine.start_at(
                loaded.state, loaded.patient.view(), flow_id, at_step, variables or {}
            )
        self._store_turn(connection, loaded, turn, saves)
        return reply_of(turn, loaded.patient.id)

    async def prune(self) -> int:
        """Forget update ids too old to be redelivered (the table would grow forever), and
        unconsented chats' places idle for two hours; returns how many rows went."""

        def prune(connection: Connection) -> int:
            return store.prune_processed_updates(connection) + self.passing.prune(connection)

        return await self.database.transaction(prune)

    async def _handle_once(
        self,
        external_id: str,
        event: Inbound,
        update_id: int | None,
        reactivate: bool,
        urgent: bool,
        read: Reading | None,
        *,
        timeout: float,
    ) -> Reply:
        engine = self.engine  # one engine for the whole event, even if a reload swaps it
        erased: list[bool] = []  # a patient was deleted: leave no copy in the file either
        pressed_delete = event.kind == "button" and event.button == DELETE_TOKEN

        def step(connection: Connection) -> Reply:
            lock_chat(connection, channel=self.channel, external_id=external_id)
            if reactivate:
                self._reactivate(connection, external_id)
            if update_id is not None and not store.claim_update(
                connection, channel=self.channel, update_id=update_id
            ):
                return Reply(duplicate=True)
            weeks = progress_weeks(event)
            if weeks is not None:
                return progress_reply(
                    connection,
                    channel=self.channel,
                    external_id=external_id,
                    engine=engine,
                    weeks=weeks,
                    default_timezone=self.default_timezone,
                )
            if _is_command(event, "export"):
                return privacy_command(
                    connection,
                    self.channel,
                    external_id,
                    event.command,
                    engine.library.content,
                    questionnaires_of(engine),
                )
            if _is_command(event, "delete") or (
                pressed_delete
                and not delete_was_asked(connection, self.channel, external_id, self.passing)
            ):
                # /delete, or a press nobody asked for lately (forged, or long forgotten):
                # show the confirmation, and mark it where every process reads it.
                mark_delete_asked(connection, self.channel, external_id, self.passing)
                return privacy_command(
                    connection, self.channel, external_id, "delete", engine.library.content
                )
            if pressed_delete:
                outbox.forget_chat(connection, channel=self.channel, chat_id=external_id)
                self.passing.forget(connection, self.channel, external_id)
                erased.append(True)
                return delete_everything(
                    connection, self.channel, external_id, engine.library.content
                )
            shared = sharing_event(
                connection, self.channel, external_id, event, engine.library.content
            )
            if shared is not None:  # an invitation, a sharing button or /sharing
                return shared
            if not urgent and event.kind == "text" and self._unreceived(connection, external_id):
                # Typed before the waiting question arrived: an answer to what the patient
                # last saw. That question goes out first; the words are not stored.
                log.info("typed before the waiting question arrived kind=%s", event.kind)
                pending = outbox.claim_chat(
                    connection, channel=self.channel, chat_id=external_id, owner=self.outbox_owner
                )
                return Reply(outbox=pending)
            loaded = store.load_conversation(
                connection,
                channel=self.channel,
                external_id=external_id,
                create=self.assume_consent,
            )
            if loaded is None or not self._stores(loaded.patient):
                # Not agreed to storage: the conversation is kept unnamed (bot.coach.passing).
                state = self.passing.get(connection, self.channel, external_id)
                turn = engine.handle(state, PatientView(consented=False), event, read)
                note_invitation(event, turn, engine.library.content)  # /start <code> first
                if not agrees(turn):
                    store_anonymously(connection, turn.safety_events)
                    self.passing.keep(connection, self.channel, external_id, state)
                    return reply_of(turn, None)
                # The "yes" at /start: storage starts with this step.
                self.passing.forget(connection, self.channel, external_id)
                loaded = store.load_conversation(
                    connection, channel=self.channel, external_id=external_id
                )
                assert loaded is not None
                loaded = replace(loaded, state=state)
                retention.mark_seen(connection, patient_id=loaded.patient.id, now=utcnow())
                self._store_turn(connection, loaded, turn)
                return reply_of(turn, loaded.patient.id)
            retention.mark_seen(connection, patient_id=loaded.patient.id, now=utcnow())
            patient_id = loaded.patient.id
            patient = replace(
                loaded.patient.view(),
                latest_entry=lambda kind: latest_entry(connection, patient_id, kind),
            )
            content, coach_texts = engine.library.content, engine.coach_texts
            if _asks_for_sos(event):
                plan = safety_plan_html(connection, patient_id, content, coach_texts)
                patient = replace(patient, safety_plan_html=plan)
            turn = offer_turn(engine, loaded.state, patient, event) or engine.handle(
                loaded.state, patient, event, read
            )
            note_invitation(event, turn, engine.library.content)
            if turn.safety_plan_at is not None and engine.screener is not None:
                plan = safety_plan_html(connection, patient_id, content, coach_texts)
                if plan:
                    message = engine.screener.plan_message(plan, turn.safety_plan_language)
                    turn.messages.insert(turn.safety_plan_at, message)
            if turn.profile_updates.get("consent") in ("no", False):
                # Declining consent means nothing is stored, not even the conversation.
                store.delete_patient(connection, patient_id=loaded.patient.id)
                erased.append(True)
                return reply_of(turn, loaded.patient.id)
            mark = self._portal_mark(connection, loaded.patient.id, turn)
            notice = self._notice_before(connection, loaded.patient, turn.safety_events)
            self._tell_of(notice, turn, engine)
            self._store_turn(connection, loaded, turn)
            add_building_risk_note(
                connection,
                loaded.patient,
                turn,
                content=engine.library.content,
                booking_url=engine.booking_url,
                default_timezone=self.default_timezone,
            )
            alerts_for_turn(connection, loaded.patient.id, turn, _asking(engine))  # portal queue
            if mark is not None:
                notice = self._notice_after(connection, loaded.patient.id, mark, turn)
                self._tell_of(notice, turn, engine)
            queued = self._queue_replies(connection, external_id, turn.messages)
            return replace(reply_of(turn, loaded.patient.id), oncall_notice=notice, outbox=queued)

        reply = await self.database.transaction(step, timeout=timeout)
        if reply.render_later is not None:
            reply.messages.extend(await self._rendered(reply.render_later, engine))
        if erased:
            await self.database.checkpoint()
        if not reply.duplicate:
            log.info(
                "event handled patient=%s kind=%s messages=%d records=%d safety=%d",
                reply.patient_id,
                event.kind,
                len(reply.messages),
                len(reply.records),
                len(reply.safety_events),
            )
        return reply

    @staticmethod
    async def _rendered(
        render: Callable[[], list[OutboundMessage]], engine: Engine
    ) -> list[OutboundMessage]:
        """The files drawn after the step; if drawing failed, one kind sentence instead."""
        try:
            return await asyncio.to_thread(render)
        except WorkerFailed as exc:
            log.warning("drawing failed (%s); the patient was asked to try again", exc)
            return [OutboundMessage(engine.library.content.get("progress.files_failed"))]

    def _unreceived(self, connection: Connection, external_id: str) -> bool:
        return self.durable_replies and outbox.has_unreceived(
            connection, channel=self.channel, chat_id=external_id
        )

    def _queue_replies(
        self, connection: Connection, external_id: str, messages: list[OutboundMessage]
    ) -> list[outbox.Pending] | None:
        """The stored turn's replies, committed with it and sent after (bot.db.outbox).
        A turn with a file (a chart, a PDF) is sent at once instead: the outbox keeps text."""
        if not self.durable_replies or any(m.attachment is not None for m in messages):
            return None
        return outbox.queue(
            connection,
            channel=self.channel,
            chat_id=external_id,
            messages=messages,
            owner=self.outbox_owner,
        )

    def crisis_in_edit(self, text: str) -> tuple[SafetyEvent, list[OutboundMessage]] | None:
        """An edited message is screened only (a step is never re-answered): its detection
        and the help lines to send at once, needing no database; then record_safety_event."""
        engine = self.engine
        event = Inbound.message(text)
        read = engine.read(event)
        detection = engine.screen(event, read)
        if detection is None or engine.screener is None:
            return None
        return detection, engine.stateless_crisis_messages(event, read) or []

    async def record_safety_event(
        self, external_id: str, event: SafetyEvent
    ) -> OncallNotice | None:
        """Log a detection that advances no step (an edited message); the notice it earns.

        A chat that has not agreed to storage gets it stored with no patient (anonymous).
        On a database failure the crisis answer was already sent: the event is spooled and
        stored later, like one of a crisis answered without the database.
        """

        try:
            return await self.database.transaction(
                lambda c: self._record(c, external_id, event), timeout=EVENT_DEADLINE
            )
        except _DATABASE_ERRORS as exc:
            log.warning(
                "safety event not stored yet category=%s error=%s",
                event.category,
                type(exc).__name__,
            )
            self._store_safety_event_later(external_id, event)
            return None

    def _store_safety_event_later(self, external_id: str, event: SafetyEvent) -> None:
        """A crisis answered without the database: keep its safety event on disk first (the
        spool, so neither a long outage nor a restart loses it), then store it once the
        database is back (tried now and after each of ``SAFETY_EVENT_RETRIES``; after that
        the channel's periodic ``drain_spool``), and send its notice."""
        at = utcnow()
        spooled = False
        if self.spool is not None:
            try:
                self.spool.add(self.channel, external_id, event, at)
                spooled = True
            except OSError as exc:
                log.error("safety event not spooled error=%s", type(exc).__name__)

        async def keep_trying() -> None:
            for pause in (0.0, *SAFETY_EVENT_RETRIES):
                await asyncio.sleep(pause)
                if spooled:
                    if await self.drain_spool() is not None:
                        return
                    continue
                try:
                    await self._store_late(SpooledEvent(event, at, external_id=external_id))
                except _DATABASE_ERRORS as exc:
                    log.warning(
                        "safety event not stored yet category=%s error=%s",
                        event.category,
                        type(exc).__name__,
                    )
                    continue
                return
            log.error("safety event not stored category=%s spooled=%s", event.category, spooled)

        task = asyncio.get_running_loop().create_task(keep_trying())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain_spool(self) -> int | None:
        """Store the safety events waiting in the spool; how many (None: the database
        failed, and the rest wait for the next try). Cheap when nothing waits."""
        if self.spool is None:
            return 0
        stored = 0
        for claim in self.spool.claims(self.outbox_owner):
            waiting = claim.spooled
            try:
                await self._store_late(waiting)
            except _DATABASE_ERRORS as exc:
                claim.give_back()
                log.warning("spooled safety events not stored yet error=%s", type(exc).__name__)
                return None
            claim.done()
            stored += 1
        return stored

    async def _store_late(self, waiting: SpooledEvent) -> None:
        """Store one safety event answered earlier (at its own time), and send its notice."""
        notice = await self.database.transaction(
            lambda c: self._record_late(c, waiting), timeout=EVENT_DEADLINE
        )
        log.info("safety event stored after its answer category=%s", waiting.event.category)
        if notice is not None and self.notify_oncall is not None:
            self.notify_oncall(notice)

    def _record_late(self, connection: Connection, waiting: SpooledEvent) -> OncallNotice | None:
        external_id = waiting.external_id
        if external_id is None and waiting.chat_key is not None:
            external_id = self._chat_of(connection, waiting.chat_key)
        if external_id is None:  # a chat that never agreed to be stored
            store_anonymously(connection, [waiting.event], at=waiting.at)
            return None
        return self._record(connection, external_id, waiting.event, waiting.at)

    def _chat_of(self, connection: Connection, chat_key: str) -> str | None:
        """The chat a spooled event names by its keyed hash, among the patients whose events
        may be stored; None for any other chat. One hash per such patient and secret: this
        runs only for events an outage left, so no column of hashes is kept for it."""
        if self.spool is None:
            return None
        for external_id in store.chats_of(
            connection, channel=self.channel, agreed_only=not self.assume_consent
        ):
            if chat_key in self.spool.chat_keys(self.channel, external_id):
                return external_id
        return None

    def _stores(self, patient: store.PatientRecord) -> bool:
        """May this patient's events be stored? Only after a "yes" at /start."""
        return self.assume_consent or patient.consent is True

    def _record(
        self,
        connection: Connection,
        external_id: str,
        event: SafetyEvent,
        at: datetime | None = None,
    ) -> OncallNotice | None:
        patient = store.find_patient(connection, channel=self.channel, external_id=external_id)
        if patient is None or not self._stores(patient):
            store_anonymously(connection, [event], at=at)
            return None
        turn = Turn(safety_events=[event])
        mark = self._portal_mark(connection, patient.id, turn)
        notice = self._notice_before(connection, patient, [event])
        store.add_safety_events(connection, patient_id=patient.id, events=[event], at=at)
        alerts_for_turn(connection, patient.id, turn, _asking(self.engine))
        if mark is not None:
            return self._notice_after(connection, patient.id, mark, turn)
        return notice

    def _notice_before(
        self, connection: Connection, patient: store.PatientRecord, events: list[SafetyEvent]
    ) -> OncallNotice | None:
        """Without the portal, the notice the onboarding answer allows (before the events
        are stored: it reads the quiet window from the earlier ones)."""
        if self.portal_alerts:
            return None
        return oncall_notice_for(
            connection, patient, events, self.oncall_quiet, _asking(self.engine)
        )

    def _portal_mark(
        self, connection: Connection, patient_id: int, turn: Turn
    ) -> PortalMark | None:
        """With the portal and an on-call chat, what its notice rule reads before storing;
        None (no query) for a step that cannot raise an urgent alert, most of them."""
        if not self.portal_alerts or self.oncall_quiet is None or not may_raise_urgent(turn):
            return None
        return portal_mark(connection, patient_id, _asking(self.engine))

    def _notice_after(
        self, connection: Connection, patient_id: int, mark: PortalMark, turn: Turn
    ) -> OncallNotice | None:
        """With the portal, the notice this event earns (read after storing it)."""
        assert self.oncall_quiet is not None  # a mark is only read with an on-call chat
        return portal_notice_for(
            connection,
            patient_id,
            mark,
            turn.safety_events,
            self.oncall_quiet,
            _asking(self.engine),
        )

    def _tell_of(self, notice: OncallNotice | None, turn: Turn, engine: Engine) -> None:
        """The patient agreed to the notice (at onboarding, or by sharing crisis events
        with the portal); they are told it happened, in the words for how it was sent.
        A question waiting for an answer (the direct question, the choice after a crisis
        answer) stays the last message, so the patient answers it."""
        if notice is None:
            return
        key = "system.oncall_portal_told" if self.portal_alerts else "system.oncall_told"
        told = OutboundMessage(engine.library.content.get(key), kind="crisis")
        waiting = bool(turn.messages) and bool(turn.messages[-1].buttons)
        turn.messages.insert(len(turn.messages) - 1 if waiting else len(turn.messages), told)

    async def close(self) -> None:
        """Stop the background work (safety events still waiting for the database)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    def _store_turn(
        self,
        connection: Connection,
        loaded: store.LoadedConversation,
        turn: Turn,
        saves: list[store.PendingSave] | None = None,
    ) -> None:
        """Store what a step did; its conversation is saved here, or added to ``saves``
        for the caller to save with others (``store.save_conversations``)."""
        patient_id = loaded.patient.id
        turn.records = [keep_earlier_plan(connection, patient_id, r) for r in turn.records]
        turn.records = store_administrations(connection, patient_id, turn, self.engine)
        if saves is not None:
            saves.append(store.PendingSave(patient_id, loaded.state, loaded.revision))
        else:
            store.save_conversation(
                connection, patient_id=patient_id, state=loaded.state, revision=loaded.revision
            )
        store.add_journal_records(connection, patient_id=patient_id, records=turn.records)
        update_profile(connection, patient_id=patient_id, updates=turn.profile_updates)
        store.add_safety_events(connection, patient_id=patient_id, events=turn.safety_events)

    def _without_database(
        self,
        external_id: str,
        event: Inbound,
        read: Reading | None,
        key: str = "system.unavailable",
    ) -> Reply:
        """The step could not be stored: still answer a crisis and /sos; never lose them.
        A crisis's safety event is stored afterwards, when the database answers again.

        ``key``: what to say otherwise (the database is away, or a conflict persisted)."""
        engine = self.engine
        messages: list[OutboundMessage] = []
        crisis = engine.stateless_crisis_messages(event, read)
        if crisis is not None:
            messages.extend(crisis)
            log.error("crisis answered without storing its step kind=%s", event.kind)
            detection = engine.screen(event, read)
            if detection is not None:
                self._store_safety_event_later(external_id, detection)
        elif _asks_for_sos(event):
            messages.extend(engine.sos_messages(in_exercise=False))
        elif event.kind == "text" and answer_to_direct_question(event.text) == "yes":
            # Perhaps a "yes" to a direct question the coach cannot look up now: help first.
            messages.extend(engine.sos_messages(in_exercise=False))
            messages.append(OutboundMessage(engine.library.content.get(key)))
            log.error("a bare yes answered with the help lines without storing it")
        else:
            messages.append(OutboundMessage(engine.library.content.get(key)))
        return Reply(messages=messages, stored=False)


_SOS_TOKEN = tokens.encode(tokens.SystemButton.SOS)


def _is_command(event: Inbound, name: str) -> bool:
    return event.kind == "command" and event.command == name


def _asks_for_sos(event: Inbound) -> bool:
    return _is_command(event, "sos") or (event.kind == "button" and event.button == _SOS_TOKEN)


def _asking(engine: Engine) -> tuple[str, ...]:
    """Categories that ask the patient first: only the answer reaches the on-call chat."""
    screener = engine.screener
    return tuple(screener.asking_categories()) if screener is not None else ()
