"""Alembic environment. The app runs migrations on start through ``bot.db.migrate``,
handing over its own connection; ``alembic -c bot/db/alembic.ini upgrade head`` also works
and reads DATABASE_URL from the environment."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _online_from_url() -> None:
    from bot.db.session import Database

    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./data/coach.sqlite3")

    async def go() -> None:
        database = Database(url)
        await database.transaction(_run)
        await database.dispose()

    asyncio.run(go())


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    _online_from_url()
