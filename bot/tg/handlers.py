"""Map Telegram updates to the coach's events and its replies back to Telegram calls.

Text, captions and commands become ``Inbound.message``; button presses ``Inbound.press``.
Each goes to ``CoachService.handle`` with the update id, which stores the step and the id
together, so an update Telegram delivers twice is handled once. The channel opens no
transaction of its own and answers no command: the application layer does both.

Everything else a patient can send (stickers, photos, voice...) gets a kind word that the
coach reads text only; an edited message is only screened for crisis language (a detection
is logged as a safety event); groups and channels are left.

Logs carry ids, kinds and counts only: never a message's text, nor a name or username.

Over 300 lines: every kind of Telegram update is mapped here, so what a patient can send
and what they get back is read in one place.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterable
from dataclasses import replace

from telegram import CallbackQuery, Chat, ChatMember, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.coach.build import Coach
from bot.coach.reload import Reloader
from bot.flow.library import FlowLibrary
from bot.shared.messages import Inbound, OutboundMessage
from bot.tg import texts
from bot.tg.counting import count_update
from bot.tg.delivery import Delivery
from bot.tg.log_refs import chat_ref
from bot.tg.oncall import OncallAlerts
from bot.tg.sender import NOOP, Sender, keyboard, marker_keyboard

__all__ = ["TelegramChannel"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
_JOINED = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


class TelegramChannel:
    """The coach on Telegram: one instance per running bot, shared by every chat."""

    def __init__(
        self,
        coach: Coach,
        sender: Sender,
        oncall: OncallAlerts | None = None,
        admin_ids: Iterable[int] = (),
        reloader: Reloader | None = None,
    ) -> None:
        self.coach = coach
        self.admin_ids = frozenset(admin_ids)
        if reloader is not None:
            coach.service.reload_flows = reloader.reload_summary
        self.sender = sender
        self.oncall = oncall
        if oncall is not None:
            coach.service.notify_oncall = oncall.notify  # a safety event stored afterwards
        coach.service.durable_replies = True  # a stored turn's replies go through the outbox
        self.delivery = Delivery(
            sender,
            coach.service.database,
            CHANNEL,
            owner=coach.service.outbox_owner,
            is_blocked=self.is_blocked,
            on_forbidden=self.mark_blocked,
        )
        self._blocked: set[int] = set()
        self._known: set[int] = set()  # chats whose stored active flag this process has read
        self._left: set[int] = set()  # groups and channels already told and left

    @property
    def library(self) -> FlowLibrary:
        """The flows and texts in use now (a reload swaps them for the next event)."""
        return self.coach.current.library

    # -- entry points (registered with PTB) ----------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update goes through here; the per-chat processor keeps a chat's in order."""
        count_update(update)
        chat = update.effective_chat
        if chat is None:
            return
        if self.oncall is not None and chat.id == self.oncall.chat_id:
            return  # the practice's own on-call chat: the bot stays, reads nothing, stores nothing
        if update.my_chat_member is not None:
            await self._membership(update, chat)
        elif chat.type != Chat.PRIVATE:
            await self._not_private(update, chat)
        elif update.callback_query is not None:
            await self._press(update, chat, update.callback_query)
        elif update.message is not None:
            await self._message(update, chat, update.message)
        elif update.edited_message is not None:
            await self._edited(chat, update.edited_message)
        else:
            log.debug("update ignored update=%d", update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed (type and update id, no text) and apologise in a private chat."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error("update failed update=%s error=%s\n%s", update_id, type(error).__name__, frames)
        if not isinstance(update, Update):
            return
        chat = update.effective_chat
        if chat is None or chat.type != Chat.PRIVATE or self.is_blocked(chat.id):
            return
        if update.callback_query is not None:
            await _answer(update.callback_query)
        help_lines = self._help_without_service(update)
        apology = OutboundMessage(self.library.content.get("system.error"))
        await self.delivery.deliver(chat.id, help_lines or [apology])

    def _help_without_service(self, update: Update) -> list[OutboundMessage] | None:
        """A crisis message or /sos whose handling failed still gets the help lines (they
        need nothing but the crisis lists), never only an apology."""
        message = update.effective_message
        text = _text_of(message) if message is not None else None
        if not text:
            return None
        try:
            found = self.coach.service.crisis_in_edit(text)
            if found is not None:
                return found[1]
            event = Inbound.message(text)
            if event.kind == "command" and event.command == "sos":
                return self.coach.engine.sos_messages(in_exercise=False)
        except Exception as exc:  # noqa: BLE001 - the apology is still sent
            log.error("help lines not built error=%s", type(exc).__name__)
        return None

    # -- private chats ---------------------------------------------------------------------

    async def _message(self, update: Update, chat: Chat, message: Message) -> None:
        text = _text_of(message)
        if not text:
            if _is_service_message(message):
                return
            await self._reactivate(chat.id)
            await self.delivery.interrupt(chat.id)
            log.info("non-text message chat=%s", chat_ref(chat.id))
            reply = OutboundMessage(self.library.content.get("system.text_only"))
            await self.delivery.deliver(chat.id, [reply])
            return
        await self._handle(update, chat, Inbound.message(text))

    async def _press(self, update: Update, chat: Chat, query: CallbackQuery) -> None:
        data = query.data
        if not data or data == NOOP or query.message is None:
            await _answer(query)
            return
        await self._handle(update, chat, Inbound.press(data), query=query)

    async def _handle(
        self, update: Update, chat: Chat, event: Inbound, query: CallbackQuery | None = None
    ) -> None:
        reactivate = self._needs_reactivation(chat.id)
        await self.delivery.interrupt(chat.id)
        event = replace(event, at=time.time())  # the engine paces against real time
        reply = await self.coach.service.handle(
            str(chat.id),
            event,
            update_id=update.update_id,
            reactivate=reactivate,
            from_admin=self._is_admin(update),
        )
        if not reply.stored and reactivate:
            self._known.discard(chat.id)  # not stored: read the active flag again next time
        if reply.duplicate:
            log.info(
                "duplicate update skipped update=%d chat=%s", update.update_id, chat_ref(chat.id)
            )
            if query is not None:
                await _answer(query)
            return
        if query is not None:
            if reply.pressed == "stale":
                stale = self.library.content.get("system.stale_answer")
                await _answer(query, texts.plain(stale, 200))
            else:
                await _answer(query)
            message_id = query.message.message_id if query.message else None
            if message_id is not None and reply.pressed == "answered":
                label = reply.pressed_label or _button_label(query)
                await self.sender.set_keyboard(chat.id, message_id, marker_keyboard(label))
            elif message_id is not None and reply.pressed == "replace":
                await self.sender.set_keyboard(chat.id, message_id, keyboard(reply.keyboard))
        if reply.outbox is not None:
            await self.delivery.deliver_stored(chat.id, reply.outbox)
        else:
            await self.delivery.deliver(chat.id, reply.messages)
        if reply.oncall_notice is not None and self.oncall is not None:
            self.oncall.notify(reply.oncall_notice)  # after the patient's reply, in the background

    async def _edited(self, chat: Chat, message: Message) -> None:
        """An edited message is screened for crisis language only; a step is never re-answered."""
        text = _text_of(message)
        if not text:
            return
        found = self.coach.service.crisis_in_edit(text)
        if found is None:
            return
        detection, messages = found
        # No chat id: a crisis category beside who said it is health data (and the chat
        # may not have agreed to storage).
        log.warning("crisis language in an edited message category=%s", detection.category)
        await self.delivery.interrupt(chat.id)
        await self.delivery.deliver(chat.id, messages)  # the help lines first, then the record
        notice = await self.coach.service.record_safety_event(str(chat.id), detection)
        if notice is not None and self.oncall is not None:
            self.oncall.notify(notice)

    def _is_admin(self, update: Update) -> bool:
        """May send /reload (anyone else gets the usual unknown-command reply)."""
        user = update.effective_user
        return user is not None and user.id in self.admin_ids

    # -- blocked and unblocked -------------------------------------------------------------

    def is_blocked(self, chat_id: int) -> bool:
        return chat_id in self._blocked

    async def mark_blocked(self, chat_id: int) -> None:
        """The patient blocked the bot: store them as inactive and send them nothing more."""
        self._blocked.add(chat_id)
        self._known.add(chat_id)
        await self.coach.service.set_active(str(chat_id), False)

    def _needs_reactivation(self, chat_id: int) -> bool:
        """A patient who writes has unblocked the bot: the service stores them active (in
        the event's own transaction) the first time this process sees them, or after a block."""
        if chat_id in self._blocked:
            self._blocked.discard(chat_id)
            return True
        if chat_id in self._known:
            return False
        self._known.add(chat_id)
        return True

    async def _reactivate(self, chat_id: int) -> None:
        """For what the coach does not read (a sticker, a rejoin): the same, on its own."""
        if self._needs_reactivation(chat_id) and not await self.coach.service.reactivate(
            str(chat_id)
        ):
            self._known.discard(chat_id)  # not read: try again next time

    async def _membership(self, update: Update, chat: Chat) -> None:
        change = update.my_chat_member
        assert change is not None
        status = change.new_chat_member.status
        if chat.type == Chat.PRIVATE:
            if status in (ChatMember.BANNED, ChatMember.LEFT):
                await self.delivery.interrupt(chat.id)
                await self.mark_blocked(chat.id)
            elif status in _JOINED and chat.id in self._blocked:
                await self._reactivate(chat.id)
            return
        if status in _JOINED:
            self._left.discard(chat.id)
            await self._leave(chat)

    # -- groups and channels: one line, then leave; nothing stored --------------------------

    async def _not_private(self, update: Update, chat: Chat) -> None:
        if update.callback_query is not None:
            await _answer(update.callback_query)
        message = update.effective_message
        if message is not None and _is_service_message(message):
            return
        if update.edited_message is not None or update.edited_channel_post is not None:
            return
        await self._leave(chat)

    async def _leave(self, chat: Chat) -> None:
        if chat.id in self._left:
            return
        self._left.add(chat.id)
        log.info("leaving a non-private chat chat=%s type=%s", chat_ref(chat.id), chat.type)
        line = self.library.content.get("system.private_only")
        try:
            await self.sender.send(chat.id, OutboundMessage(line))
        except Exception as exc:  # noqa: BLE001 - we leave whatever happened to the line
            log.info(
                "could not post before leaving chat=%s error=%s",
                chat_ref(chat.id),
                type(exc).__name__,
            )
        try:
            await self.sender.bot.leave_chat(chat.id)
        except (BadRequest, Forbidden, NetworkError) as exc:
            log.warning("could not leave chat=%s error=%s", chat_ref(chat.id), type(exc).__name__)


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await query.answer(text=text)
    except (BadRequest, NetworkError, RetryAfter) as exc:
        # A query older than Telegram's few seconds cannot be answered; nothing to do.
        log.debug("callback not answered error=%s", type(exc).__name__)


def _text_of(message: Message) -> str | None:
    """The text or caption; None when there is none, or when an update (from a forged or
    broken client) carries something other than a string there."""
    for value in (message.text, message.caption):
        if value is not None:
            return value if isinstance(value, str) else None
    return None


def _button_label(query: CallbackQuery) -> str | None:
    """The label of the pressed button, read from the message it was on."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == query.data:
                return str(button.text)
    return None


def _is_service_message(message: Message) -> bool:
    """Joins, leaves, pins, titles...: Telegram's own notes, not something a person wrote."""
    return (
        bool(
            message.new_chat_members
            or message.left_chat_member
            or message.new_chat_title
            or message.pinned_message
            or message.group_chat_created
            or message.supergroup_chat_created
            or message.migrate_from_chat_id
            or message.migrate_to_chat_id
            or message.write_access_allowed
        )
        and message.effective_attachment is None
        and not message.text
    )
