"""Apply the alembic migration history on start, through the app's own database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from bot.db.locks import ProcessLock, wait_for_transaction_lock
from bot.db.session import Database

MIGRATIONS = Path(__file__).parent / "migrations"
#: The lock's name: the file beside the database is ``<file>.schema-upgrade.lock``.
SCHEMA_LOCK = "schema-upgrade"


def _upgrade(connection: Connection) -> None:
    """Upgrade inside the caller's transaction. On PostgreSQL, processes started together
    take turns: without the lock both create the same tables, one fails on the other's
    and never becomes healthy. The lock ends with the transaction; the second process then
    finds the schema at head and does nothing."""
    wait_for_transaction_lock(connection, "coach-schema-upgrade")  # PostgreSQL only
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(database: Database, *, give_up_after: float = 300.0) -> None:
    """Bring the schema up to date; a no-op when it already is.

    On SQLite, processes started together on one file take turns through a lock file
    beside it (PostgreSQL's turn is the advisory lock in ``_upgrade``): without it two
    read "no tables yet", both create them, and one fails on "table patients already
    exists" (3 processes on a fresh file: 5 of 15 failed). The second then finds the
    schema at head and does nothing."""
    lock = await _schema_file_lock(database.url, give_up_after)
    try:
        await database.transaction(_upgrade)
    finally:
        if lock is not None:
            await lock.release()


async def _schema_file_lock(url: str, give_up_after: float) -> ProcessLock | None:
    """The SQLite file's upgrade lock, waited for (None on PostgreSQL)."""
    if make_url(url).get_backend_name() != "sqlite":
        return None
    deadline = time.monotonic() + give_up_after
    while (lock := await ProcessLock.try_acquire(url, SCHEMA_LOCK)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held the schema upgrade for {give_up_after:.0f} s")
        await asyncio.sleep(0.1)
    return lock


def check_writable(connection: Connection) -> None:
    """Write one row back unchanged: fails on a read-only database (an upgrade that had
    nothing to do wrote nothing)."""
    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
