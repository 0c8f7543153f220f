"""Turn one ``OutboundMessage`` into Telegram calls: HTML text, inline keyboard, retries.

The engine's texts are already escaped for Telegram's HTML mode. A text longer than
Telegram's 4096 characters is split at a paragraph (else a line, else a space) boundary,
never inside a tag or an entity; tags open at the cut are closed and opened again, and
the buttons go on the last part. Network failures are retried briefly with backoff, then
raised as ``SendFailed``; a 429 is raised at once as ``RateLimited`` with Telegram's
``retry_after``, so the caller waits out that one chat while every other chat goes on
(PTB's ``AIORateLimiter`` only paces the overall rate: its own 429 retries would pause
every chat). A 403 (the patient blocked the bot) is raised as ``Forbidden`` for the
caller to mark the patient inactive.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.shared import tokens
from bot.shared.messages import Button, OutboundMessage
from bot.tg.counting import count_telegram_error
from bot.tg.log_refs import chat_ref

__all__ = [
    "NOOP",
    "quiet_rate_limiter",
    "RateLimited",
    "SendFailed",
    "Sender",
    "keyboard",
    "marker_keyboard",
    "split_html",
]

log = logging.getLogger(__name__)

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
RETRY_DELAYS = (0.5, 1.0, 2.0)
NOOP = tokens.NOOP
# Room kept at each cut for closing the tags still open there.
_TAG_RESERVE = 128
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")


class SendFailed(Exception):
    """Telegram could not be reached after the retries; already logged."""


class RateLimited(SendFailed):
    """Telegram answered 429: nothing more to this chat for ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:g} s")
        self.retry_after = retry_after


def quiet_rate_limiter() -> None:
    """PTB's rate limiter logs every 429 it passes on with a traceback; the sender logs it
    in one line (chat and wait) and the delivery waits it out."""
    logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_not_passed_on_429)


def _not_passed_on_429(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Rate limit hit after maximum")


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """The engine's button rows as an inline keyboard (None when there are none)."""
    built = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url
            else InlineKeyboardButton(b.label, callback_data=b.token or NOOP)
            for b in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(built) if built else None


def marker_keyboard(label: str | None) -> InlineKeyboardMarkup | None:
    """What stays under an answered question: "✓ <answer>", or nothing."""
    if not label:
        return None
    text = f"✓ {label}"
    if len(text) > 64:
        text = text[:63] + "…"
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=NOOP)]])


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split HTML ``text`` into parts of at most ``limit`` characters, each valid HTML."""
    parts: list[str] = []
    prefix = ""
    rest = text
    while True:
        whole = prefix + rest
        if len(whole) <= limit:
            parts.append(whole)
            return parts
        cut = _cut_position(whole, start=len(prefix), end=limit - _TAG_RESERVE)
        head = whole[:cut].rstrip()
        opened = _open_tags(head)
        closing = "".join(f"</{name}>" for name, _ in reversed(opened))
        parts.append(head + closing)
        prefix = "".join(tag for _, tag in opened)
        rest = whole[cut:].lstrip(" \n")


def _cut_position(text: str, *, start: int, end: int) -> int:
    """Where to cut ``text`` before ``end``: a paragraph, a line, a space, else anywhere."""
    end = max(end, start + 1)
    window = text[:end]
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position > start:
            return _outside_markup(text, position, start)
    return _outside_markup(text, end, start)


def _outside_markup(text: str, position: int, start: int) -> int:
    """Move ``position`` back so it falls neither inside a tag nor inside an entity."""
    tag_open = text.rfind("<", start, position)
    if tag_open != -1 and text.find(">", tag_open, position) == -1:
        position = tag_open
    entity = text.rfind("&", start, position)
    if entity != -1 and ";" not in text[entity:position] and position - entity <= 10:
        position = entity
    return max(position, start + 1)


def _open_tags(html_text: str) -> list[tuple[str, str]]:
    """Tags opened in ``html_text`` and not closed: (name, the opening tag as written)."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html_text):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            stack.append((name, match.group(0)))
            continue
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                del stack[i:]
                break
    return stack


class Sender:
    """Sends the engine's messages to one bot, retrying what is worth retrying."""

    def __init__(self, bot: Bot, retry_delays: Sequence[float] = RETRY_DELAYS) -> None:
        self.bot = bot
        self.retry_delays = tuple(retry_delays)

    async def send(self, chat_id: int, message: OutboundMessage) -> list[Message]:
        """Send ``message`` (in parts if long); raises Forbidden, BadRequest or SendFailed."""
        try:
            if message.attachment is not None:
                return [await self._send_file(chat_id, message)]
            parts = split_html(message.text)
            markup = keyboard(message.buttons)
            sent = []
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                sent.append(await self._send_part(chat_id, part, markup if last else None))
        except (TelegramError, SendFailed) as exc:
            count_telegram_error(exc)  # a file's failure counts as a text's does
            raise
        return sent

    async def _send_file(self, chat_id: int, message: OutboundMessage) -> Message:
        """A photo or document, its text as the caption (sendPhoto / sendDocument)."""
        attachment = message.attachment
        assert attachment is not None
        send = self.bot.send_photo if attachment.kind == "photo" else self.bot.send_document

        async def call() -> Message:
            upload = InputFile(attachment.data, filename=attachment.filename)
            return await send(
                chat_id,
                upload,
                caption=message.text or None,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message.buttons),
            )

        return await self._with_retries(chat_id, call)

    async def _send_part(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        return await self._with_retries(
            chat_id,
            lambda: self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            ),
        )

    async def _with_retries(self, chat_id: int, call: Callable[[], Awaitable[Message]]) -> Message:
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            try:
                return await call()
            except BadRequest:
                raise
            except RetryAfter as exc:
                with warnings.catch_warnings():  # an int today, a timedelta in PTB 23
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                log.warning(
                    "telegram rate limit chat=%s retry_after=%g", chat_ref(chat_id), seconds
                )
                raise RateLimited(seconds) from exc
            except NetworkError as exc:  # TimedOut is a NetworkError
                if delay is None:
                    log.error(
                        "telegram send failed chat=%s error=%s attempts=%d",
                        chat_ref(chat_id),
                        type(exc).__name__,
                        attempt,
                    )
                    raise SendFailed from exc
                log.warning(
                    "telegram send retry chat=%s error=%s attempt=%d",
                    chat_ref(chat_id),
                    type(exc).__name__,
                    attempt,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def set_keyboard(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Change the buttons under a sent message; an unchanged or too old one is left."""
        try:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
        except BadRequest as exc:
            log.debug(
                "keyboard not changed chat=%s reason=%s", chat_ref(chat_id), type(exc).__name__
            )
        except (NetworkError, RetryAfter) as exc:
            log.warning(
                "keyboard edit failed chat=%s error=%s", chat_ref(chat_id), type(exc).__name__
            )
