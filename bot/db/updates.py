"""Processed update ids: a redelivered update is handled once.

Like every function in bot.db: a connection in, plain values out, never a commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.db.models import (
    ProcessedUpdate,
    utcnow,
)


def claim_update(session: Connection, *, channel: str, update_id: int) -> bool:
    """Record ``update_id`` as handled; False when it already was (a redelivery).

    ``ON CONFLICT DO NOTHING`` rather than catching the duplicate key: no savepoint per
    update, and PostgreSQL does not log an error for every redelivery.
    """
    statement = _CLAIM[session.dialect.name]
    result = session.execute(
        statement, {"channel": channel, "update_id": update_id, "processed_at": utcnow()}
    )
    return result.rowcount == 1


_CLAIM = {
    name: dialect_insert(ProcessedUpdate).on_conflict_do_nothing()
    for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}
#: Telegram keeps an undelivered update for 24 hours; a week is a wide margin.
PROCESSED_UPDATES_KEPT = timedelta(days=7)


def prune_processed_updates(session: Connection, *, now: datetime | None = None) -> int:
    """Forget handled update ids too old to be delivered again; returns how many."""
    cutoff = (now or utcnow()) - PROCESSED_UPDATES_KEPT
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    return result.rowcount
