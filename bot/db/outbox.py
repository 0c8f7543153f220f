"""The durable outbox: a step's replies are written in the step's own transaction.

Like every function in bot.db: a connection in, plain values out, never a commit.

A committed step therefore never loses its reply. The process that handled the event
writes the rows already leased to itself and sends them right after the commit; a row is
deleted once the channel accepted its message (so a reply's words stay only while they
are on their way). If the process dies, or Telegram keeps failing, the lease runs out and
any live process claims the rows again (``claim_due``): whole chats at a time, in order,
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several processes split the work, and a
conditional UPDATE on the lease everywhere so a row has one sender at a time.

Delivery is at least once: a process killed after Telegram accepted a message and before
the row was deleted sends it again. A duplicate reply is better than a silent one.

A new stored turn supersedes what the chat still had waiting (``queue`` deletes it): the
patient sees where the conversation is now, not an older question after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from bot.db.models import OutboxMessage, utcnow
from bot.shared.messages import Button, OutboundMessage

__all__ = [
    "LEASE",
    "MAX_AGE",
    "Pending",
    "claim_chat",
    "claim_due",
    "forget_chat",
    "has_unreceived",
    "held_by",
    "pending_count",
    "queue",
    "retry_later",
    "sent",
]

#: How long a claim stays with the process that made it (plus the messages' own pauses);
#: after that any live process may send the rows again.
LEASE = timedelta(seconds=10)
#: A reply Telegram would not take for this long is dropped (and logged by the caller).
MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Pending:
    """One message on its way to ``chat_id``; ``paced``: after its turn's first pause."""

    id: int
    chat_id: str
    message: OutboundMessage
    paced: bool = False
    attempts: int = 0
    created_at: datetime | None = None


def queue(
    connection: Connection,
    *,
    channel: str,
    chat_id: str,
    messages: Sequence[OutboundMessage],
    owner: str,
    now: datetime | None = None,
) -> list[Pending]:
    """Write one turn's messages leased to ``owner`` (who sends them after the commit),
    replacing whatever the chat still had waiting; returns the rows in order."""
    now = now or utcnow()
    forget_chat(connection, channel=channel, chat_id=chat_id)
    if not messages:
        return []
    first_pause = next((i for i, m in enumerate(messages) if m.pause_before > 0), len(messages))
    lease_until = now + LEASE + timedelta(seconds=sum(m.pause_before for m in messages))
    rows = [
        {
            "channel": channel,
            "chat_id": chat_id,
            "text": m.text,
            "buttons": _buttons_to_json(m.buttons),
            "pause_before": m.pause_before,
            "kind": m.kind,
            "paced": i >= first_pause,
            "attempts": 0,
            "not_before": now,
            "lease_owner": owner,
            "lease_until": lease_until,
            "created_at": now,
        }
        for i, m in enumerate(messages)
    ]
    ids = connection.execute(
        insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True), rows
    ).scalars()
    return [
        Pending(id, chat_id, message, paced=bool(row["paced"]), created_at=now)
        for id, message, row in zip(ids.all(), messages, rows, strict=True)
    ]


def has_unreceived(
    connection: Connection, *, channel: str, chat_id: str, now: datetime | None = None
) -> bool:
    """Is a turn waiting whose first messages the patient never got (a crash, or Telegram
    failing)? Their next typed words answer what they last saw, not what is waiting.

    Rows a live process holds are not counted: it is sending them, or sent them and has
    not yet deleted them (a busy database must not make the next answer look early)."""
    now = now or utcnow()
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.paced.is_(False),
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .limit(1)
    )
    return connection.execute(query).first() is not None


def claim_chat(
    connection: Connection, *, channel: str, chat_id: str, owner: str, now: datetime | None = None
) -> list[Pending]:
    """Take the chat's waiting rows that are due and not leased by a live process."""
    now = now or utcnow()
    due = _due(channel, now).where(OutboxMessage.chat_id == chat_id)
    return _claim(connection, due, owner, now)


def claim_due(
    connection: Connection,
    *,
    channel: str,
    owner: str,
    now: datetime | None = None,
    limit: int = 200,
) -> list[Pending]:
    """Take up to ``limit`` due rows whose lease ran out (another process died, or a
    failure's back-off is over), ordered by chat and then as they were written."""
    now = now or utcnow()
    return _claim(connection, _due(channel, now).limit(limit), owner, now)


def sent(connection: Connection, *, ids: Sequence[int]) -> int:
    """The channel accepted these (or refused them for good): delete them."""
    if not ids:
        return 0
    return connection.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids))).rowcount


def retry_later(
    connection: Connection,
    *,
    ids: Sequence[int],
    owner: str,
    not_before: datetime,
    failed: bool = True,
) -> int:
    """Give back ``owner``'s claim on these rows until ``not_before`` (a 429's retry_after,
    or a failure's back-off); any live process may send them then. ``failed``: count an
    attempt (a 429 is not a failure)."""
    if not ids:
        return 0
    values: dict[str, Any] = {"not_before": not_before, "lease_owner": None, "lease_until": None}
    if failed:
        values["attempts"] = OutboxMessage.attempts + 1
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
        .values(**values)
    )
    return connection.execute(statement).rowcount


def held_by(connection: Connection, *, channel: str, chat_id: str, owner: str) -> list[int]:
    """The chat's rows ``owner`` holds now, in order."""
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.lease_owner == owner,
        )
        .order_by(OutboxMessage.id)
    )
    return list(connection.execute(query).scalars())


def forget_chat(connection: Connection, *, channel: str, chat_id: str) -> int:
    """Delete everything still waiting for the chat (superseded, or the patient is gone)."""
    statement = delete(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id
    )
    return connection.execute(statement).rowcount


def pending_count(connection: Connection, *, channel: str | None = None) -> int:
    """How many messages are waiting to be sent: the outbox depth, for metrics."""
    query = select(func.count()).select_from(OutboxMessage)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    return int(connection.execute(query).scalar_one())


def _due(channel: str, now: datetime) -> Any:
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .order_by(OutboxMessage.id)
    )
    return query


def _claim(connection: Connection, due: Any, owner: str, now: datetime) -> list[Pending]:
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    pauses = connection.execute(
        select(func.sum(OutboxMessage.pause_before)).where(OutboxMessage.id.in_(ids))
    ).scalar_one()
    lease_until = now + LEASE + timedelta(seconds=float(pauses or 0.0))
    connection.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=lease_until)
    )
    claimed = connection.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
        .order_by(OutboxMessage.chat_id, OutboxMessage.id)
    ).all()
    return [
        Pending(
            row.id,
            row.chat_id,
            OutboundMessage(
                row.text,
                buttons=_buttons_from_json(row.buttons),
                pause_before=float(row.pause_before),
                kind="crisis" if row.kind == "crisis" else "normal",
            ),
            paced=bool(row.paced),
            attempts=int(row.attempts),
            created_at=row.created_at,
        )
        for row in claimed
    ]


def _buttons_to_json(rows: tuple[tuple[Button, ...], ...]) -> list[list[list[str | None]]]:
    return [[[b.label, b.token, b.url] for b in row] for row in rows]


def _buttons_from_json(rows: Any) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        tuple(Button(str(label), token=token, url=url) for label, token, url in row)
        for row in rows or ()
    )
