"""The database: one transaction per call, in whichever way is fastest for the backend.

Data access (bot.db.store) is plain synchronous SQLAlchemy Core over a Connection, and
each inbound event is one call of ``Database.transaction(fn)``:

* SQLite runs the whole transaction in one dedicated thread with the standard sqlite3
  driver. That is one thread hop per event instead of one per statement (aiosqlite),
  which makes a step about five times cheaper, and it serialises writers within the
  process so SQLite never reports "database is locked". WAL with ``synchronous=NORMAL``:
  a committed step survives the process being killed.
* PostgreSQL runs it through asyncpg with ``AsyncConnection.run_sync``, so many chats
  proceed concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

T = TypeVar("T")


class Database:
    """Runs ``fn(connection)`` inside one committed transaction per call."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._sync: Engine | None = None
        self._async: AsyncEngine | None = None
        self._thread: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            sync_url = parsed.set(drivername="sqlite")
            self._sync = create_sync_engine(
                sync_url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
            )
            event.listen(self._sync, "connect", _sqlite_pragmas)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        else:
            kwargs.setdefault("pool_pre_ping", True)
            self._async = create_async_engine(url, **kwargs)

    async def transaction(self, fn: Callable[[Connection], T]) -> T:
        if self._sync is not None:
            assert self._thread is not None
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, self._run_sync, fn
            )
        assert self._async is not None
        async with self._async.begin() as connection:
            return await connection.run_sync(fn)

    def _run_sync(self, fn: Callable[[Connection], T]) -> T:
        assert self._sync is not None
        with self._sync.begin() as connection:
            return fn(connection)

    async def dispose(self) -> None:
        if self._sync is not None:
            assert self._thread is not None
            await asyncio.get_running_loop().run_in_executor(self._thread, self._sync.dispose)
            self._thread.shutdown(wait=True)
        if self._async is not None:
            await self._async.dispose()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """A plain async engine (for maintenance tasks such as creating test databases)."""
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def describe(url: str) -> str:
    """The URL without its password, for the start-up log line."""
    return make_url(url).render_as_string(hide_password=True)
