"""Where the tests' databases live: a SQLite file per test, or a fresh PostgreSQL database.

`.ci/run` runs the suite twice: once as the README says (a SQLite file for every test), and
once with ``DATABASE_URL`` set to its PostgreSQL server. In that second run every test that
keeps data gets its own empty PostgreSQL database instead of its SQLite file (created
before, dropped after), and the tests that touch no database are left out (they ran, the
same, in the first run). ``DATABASE_URL`` is taken out of the environment as the tests
start, so the settings tests still see the defaults and child processes get only the URL a
test hands them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.session import create_engine

#: The PostgreSQL server of the suite's PostgreSQL run (``DATABASE_URL``), else None.
SUITE_POSTGRES: str | None = None
#: Where the suite's server is handed on to the test workers (pytest-xdist starts them
#: after this module has taken ``DATABASE_URL`` away); the bot itself never reads it.
_HANDED_ON = "COACH_TEST_SUITE_POSTGRES"
_given = os.environ.pop("DATABASE_URL", None) or os.environ.get(_HANDED_ON)
if _given:
    if make_url(_given).get_backend_name() != "postgresql":
        raise SystemExit(
            f"DATABASE_URL for the tests must be a PostgreSQL server, not {make_url(_given)!r}; "
            "unset it to run the tests on SQLite files."
        )
    SUITE_POSTGRES = os.environ[_HANDED_ON] = _given


def postgres_server() -> str | None:
    """The PostgreSQL server the tests may create databases on: ``TEST_POSTGRES_URL`` (the
    storage tests' own variable) or the suite's ``DATABASE_URL``."""
    return os.environ.get("TEST_POSTGRES_URL") or SUITE_POSTGRES


async def _admin(base: str, statement: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


async def create_postgres_database(base: str) -> str:
    """A new empty database on the server at ``base``; its URL."""
    name = f"coach_test_{uuid.uuid4().hex[:12]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop the database at ``url`` (connections still open to it are ended)."""
    parsed = make_url(url)
    base = parsed.set(database="postgres").render_as_string(hide_password=False)
    await _admin(base, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


@contextmanager
def suite_database(folder: Path, name: str = "coach.sqlite3") -> Iterator[str]:
    """The URL of a fresh database for one test: ``folder/name`` on SQLite, or its own
    PostgreSQL database in the PostgreSQL run. Usable from sync and async tests alike (it
    runs before the test's event loop starts)."""
    if SUITE_POSTGRES is None:
        yield f"sqlite+aiosqlite:///{folder}/{name}"
        return
    url = asyncio.run(create_postgres_database(SUITE_POSTGRES))
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(url))


@asynccontextmanager
async def suite_database_async(folder: Path, name: str) -> AsyncIterator[str]:
    """``suite_database`` from inside a running event loop (for a test that needs more than
    one database)."""
    if SUITE_POSTGRES is None:
        yield f"sqlite+aiosqlite:///{folder}/{name}"
        return
    url = await create_postgres_database(SUITE_POSTGRES)
    try:
        yield url
    finally:
        await drop_postgres_database(url)
