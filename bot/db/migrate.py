"""Apply the alembic migration history on start, through the app's own database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db.locks import wait_for_transaction_lock
from bot.db.session import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _upgrade(connection: Connection) -> None:
    """Upgrade inside the caller's transaction. On PostgreSQL, processes started together
    take turns: without the lock both create the same tables, one fails on the other's
    and never becomes healthy. The lock ends with the transaction; the second process then
    finds the schema at head and does nothing."""
    wait_for_transaction_lock(connection, "coach-schema-upgrade")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(database: Database) -> None:
    """Bring the schema up to date; a no-op when it already is."""
    await database.transaction(_upgrade)


def check_writable(connection: Connection) -> None:
    """Write one row back unchanged: fails on a read-only database (an upgrade that had
    nothing to do wrote nothing)."""
    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
