"""Unconsented chats' sealed conversations (bot.coach.passing seals and names them).

Like every module in bot.db: a connection in, plain values out, never a commit. The event's
transaction holds the chat's lock (bot.db.locks), so a read and the write after it are
never interleaved with another process's step of the same chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.db.models import PassingConversation

__all__ = ["delete_idle", "forget", "keep", "read"]


def read(connection: Connection, chat_key: str, *, since: datetime) -> str | None:
    """The sealed conversation, unless it was last kept before ``since`` (then it is gone)."""
    return connection.execute(
        select(PassingConversation.sealed).where(
            PassingConversation.chat_key == chat_key, PassingConversation.updated_at >= since
        )
    ).scalar_one_or_none()


def keep(connection: Connection, chat_key: str, sealed: str, *, now: datetime) -> None:
    """Store the conversation as the event left it (a new row or the chat's old one)."""
    changed = connection.execute(
        update(PassingConversation)
        .where(PassingConversation.chat_key == chat_key)
        .values(sealed=sealed, updated_at=now)
    ).rowcount
    if not changed:
        connection.execute(
            insert(PassingConversation).values(chat_key=chat_key, sealed=sealed, updated_at=now)
        )


def forget(connection: Connection, chat_key: str) -> None:
    """The chat agreed to storage, or asked for everything to be deleted."""
    connection.execute(delete(PassingConversation).where(PassingConversation.chat_key == chat_key))


def delete_idle(connection: Connection, *, before: datetime) -> int:
    """Rows last kept before ``before``; returns how many."""
    return connection.execute(
        delete(PassingConversation).where(PassingConversation.updated_at < before)
    ).rowcount
