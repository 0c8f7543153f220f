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

Every wait has a bound, so an event whose database is locked, frozen or gone fails within
seconds instead of queueing for minutes: SQLite's busy timeout is ``SQLITE_BUSY_TIMEOUT``;
PostgreSQL has connect, command and pool timeouts; and ``transaction(fn, timeout=...)``
gives up after ``timeout`` seconds (``DeadlineExceeded``) without waiting for the stuck
work to unwind. A SQLite transaction given up on is rolled back instead of committed.

The SQLite file and its folder are created readable by the owner only (0600, 0700).
Every SQLite connection has ``secure_delete`` on, so a deleted row's bytes are overwritten
with zeros rather than left in free space, and ``checkpoint()`` (after /delete) copies the
WAL into the file and truncates it, so no older copy of a page is left in the ``-wal``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Seconds a SQLite statement waits for another connection's lock before failing.
SQLITE_BUSY_TIMEOUT = 2.0
#: PostgreSQL: seconds to connect, to run one statement, and to wait for a pooled connection.
PG_CONNECT_TIMEOUT = 3.0
PG_COMMAND_TIMEOUT = 5.0
PG_POOL_TIMEOUT = 3.0
#: PostgreSQL connections each process keeps, and how many more it may open at a peak:
#: ``UPDATES_AT_ONCE`` updates' steps use the kept ones, and the outbox drain, upkeep,
#: reminders and the portal the rest, so under saturation an update waits in memory for
#: its turn (no deadline yet) rather than timing out for a connection (3 s) and telling the
#: patient the database is away. Four processes stay under PostgreSQL's 100 connections.
PG_POOL_SIZE = 12
PG_MAX_OVERFLOW = 8
#: Updates a process handles at once (bot.tg.runner): as many as it keeps connections.
UPDATES_AT_ONCE = PG_POOL_SIZE


class DeadlineExceeded(TimeoutError):
    """The transaction did not finish within its deadline; it was abandoned (not committed
    on SQLite; on PostgreSQL a commit already under way may still land)."""


class Database:
    """Runs ``fn(connection)`` inside one committed transaction per call."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._sync: Engine | None = None
        self._async: AsyncEngine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._disposed = False
        if self.is_sqlite:
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                _private_file(Path(database))
            sync_url = parsed.set(drivername="sqlite")
            self._sync = create_sync_engine(
                sync_url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
                **kwargs,
            )
            event.listen(self._sync, "connect", _sqlite_pragmas)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        else:
            kwargs.setdefault("pool_pre_ping", True)
            kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT)
            kwargs.setdefault("pool_size", PG_POOL_SIZE)
            kwargs.setdefault("max_overflow", PG_MAX_OVERFLOW)
            connect_args = kwargs.setdefault("connect_args", {})
            connect_args.setdefault("timeout", PG_CONNECT_TIMEOUT)
            connect_args.setdefault("command_timeout", PG_COMMAND_TIMEOUT)
            self._async = create_async_engine(url, **kwargs)

    async def transaction(
        self, fn: Callable[[Connection], T], *, timeout: float | None = None
    ) -> T:
        """Run ``fn`` in one committed transaction. ``timeout``: give up after this many
        seconds with ``DeadlineExceeded``, leaving the stuck work to unwind on its own."""
        abandoned = threading.Event()
        if timeout is None:
            return await self._transaction(fn, abandoned)
        work = asyncio.ensure_future(self._transaction(fn, abandoned))
        try:
            done, _ = await asyncio.wait({work}, timeout=max(timeout, 0.0))
        except asyncio.CancelledError:
            _abandon(work, abandoned)
            raise
        if work in done:
            return work.result()
        _abandon(work, abandoned)
        raise DeadlineExceeded(f"database transaction over {timeout:.1f} s")

    async def _transaction(self, fn: Callable[[Connection], T], abandoned: threading.Event) -> T:
        if self._sync is not None:
            assert self._thread is not None
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, self._run_sync, fn, abandoned
            )
        assert self._async is not None
        async with self._async.begin() as connection:
            return await connection.run_sync(fn)

    def _run_sync(self, fn: Callable[[Connection], T], abandoned: threading.Event) -> T:
        assert self._sync is not None
        with self._sync.begin() as connection:
            result = fn(connection)
            if abandoned.is_set():  # nobody waits for it any more: roll back, never commit
                raise DeadlineExceeded("database transaction abandoned")
            return result

    async def checkpoint(self) -> bool:
        """SQLite: write the WAL into the database file and truncate it to nothing, so the
        pages a delete changed leave no older copy behind in the ``-wal``. Returns False
        when another connection kept it from finishing (logged). PostgreSQL: nothing to do
        here (see the README on VACUUM)."""
        if self._sync is None:
            return True
        assert self._thread is not None
        try:
            busy = await asyncio.get_running_loop().run_in_executor(
                self._thread, self._checkpoint_sync
            )
        except (OSError, SQLAlchemyError) as exc:
            log.warning("wal checkpoint failed error=%s", type(exc).__name__)
            return False
        if busy:
            log.warning("wal checkpoint not finished: another connection is reading")
        return not busy

    def _checkpoint_sync(self) -> bool:
        assert self._sync is not None
        raw = self._sync.raw_connection()
        try:
            cursor = raw.cursor()
            row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        return bool(row and row[0])

    async def dispose(self) -> None:
        """Close every connection; a second call does nothing."""
        if self._sync is not None:
            assert self._thread is not None
            if self._disposed:
                return
            self._disposed = True
            await asyncio.get_running_loop().run_in_executor(self._thread, self._sync.dispose)
            self._thread.shutdown(wait=True)
        if self._async is not None:
            await self._async.dispose()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """A plain async engine (for maintenance tasks such as creating test databases)."""
    return create_async_engine(url, **kwargs)


def _abandon(work: asyncio.Future[Any], abandoned: threading.Event) -> None:
    abandoned.set()
    work.cancel()
    work.add_done_callback(_forget)


def _forget(work: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned transaction's outcome so asyncio does not log it."""
    if not work.cancelled():
        work.exception()


def _private_file(path: Path) -> None:
    """Create the folder (0700) and the database file (0600) readable by the owner only;
    SQLite gives its -wal and -shm files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError:
        return  # read-only or missing: connecting will say so
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if name.exists() and name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except OSError:
            pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in the file
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.close()


def describe(url: str) -> str:
    """The URL without its password, for the start-up log line."""
    return make_url(url).render_as_string(hide_password=True)
