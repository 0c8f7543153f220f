"""What the Telegram channel counts (``bot.metrics``): an update's kind and a Bot API
error's kind, each from a small fixed set, never a chat id or a word."""

from __future__ import annotations

from telegram import Update

from bot import metrics


def update_kind(update: Update) -> str:
    """``command``, ``message``, ``media``, ``button``, ``edited_message``, ``membership``,
    ``channel_post`` or ``other``."""
    if update.callback_query is not None:
        return "button"
    if update.message is not None:
        text = update.message.text
        if not isinstance(text, str):  # a photo, a sticker, or a malformed text field
            return "media"
        return "command" if text.startswith("/") else "message"
    if update.edited_message is not None:
        return "edited_message"
    if update.my_chat_member is not None:
        return "membership"
    if update.channel_post is not None:
        return "channel_post"
    return "other"


def count_update(update: Update) -> None:
    metrics.UPDATES.labels(kind=update_kind(update)).inc()


def count_telegram_error(error: BaseException) -> None:
    """A send that failed, by the Bot API error behind it (``Forbidden``, ``BadRequest``,
    ``TimedOut``, ``RetryAfter``...)."""
    cause = error.__cause__ if error.__cause__ is not None else error
    metrics.TELEGRAM_ERRORS.labels(kind=type(cause).__name__).inc()
