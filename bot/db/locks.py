"""Locks that let several coach processes share one database safely.

* ``lock_chat``: inside an event's transaction, one chat's steps take turns across every
  process (a PostgreSQL advisory lock, released when the transaction ends). Without it two
  processes given two messages of one chat at once would both read the same conversation,
  and one would have to start over on the revision check; with it the second simply waits
  for the first to commit. SQLite needs none: each process writes through one thread, and
  SQLite lets one writer in at a time.
* ``lock_chats``: many chats in one statement, always in one order (their keys').
* ``lock_transaction``: the same for any name. ``wait_for_transaction_lock`` waits for one
  by short tries: the schema upgrade on start takes it, so processes started together
  upgrade one after the other however long the first one's upgrade takes.
* ``ProcessLock``: held for a process's whole life, so that only one process polls
  Telegram for a bot. On PostgreSQL a session advisory lock on a connection of its own; on
  SQLite an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import BigInteger, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.session import PG_CONNECT_TIMEOUT


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_transaction(connection: Connection, name: str) -> None:
    """Wait until no other transaction holds ``name``; held until this one ends. A no-op
    on SQLite, which lets one writer in at a time anyway."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


def wait_for_transaction_lock(
    connection: Connection, name: str, *, give_up_after: float = 300.0, every: float = 0.2
) -> None:
    """``lock_transaction`` for a wait that may be long (another process's schema upgrade):
    tried again and again, each try a short statement, so the driver's per-statement
    timeout (5 s) does not end the wait. Raises TimeoutError after ``give_up_after``."""
    if connection.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + give_up_after
    query = text("SELECT pg_try_advisory_xact_lock(:key)")
    while not connection.execute(query, {"key": lock_key(name)}).scalar_one():
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held {name!r} for {give_up_after:.0f} s")
        time.sleep(every)  # at start-up, before anything is served: blocking is harmless


def lock_chat(connection: Connection, *, channel: str, external_id: str) -> None:
    """Wait until no other transaction holds this chat; held until this one ends."""
    lock_transaction(connection, chat_lock_name(channel, external_id))


def lock_chats(connection: Connection, chats: Iterable[tuple[str, str]]) -> None:
    """``lock_chat`` for many ``(channel, external_id)`` in one statement (a batch of
    reminders, a retention run). Taken in the order of their keys, the one order every
    taker of several uses, so two such transactions wait for each other instead of
    deadlocking; ``unnest`` hands the keys to the function in the array's order."""
    if connection.dialect.name != "postgresql":
        return
    keys = sorted(
        {lock_key(chat_lock_name(channel, external_id)) for channel, external_id in chats}
    )
    if keys:
        connection.execute(_LOCK_MANY, {"keys": keys})


def chat_lock_name(channel: str, external_id: str) -> str:
    """The name of one chat's lock (``lock_key`` turns it into the advisory lock's key)."""
    return f"coach-chat:{channel}:{external_id}"


_LOCK_MANY = text("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(:keys) AS key").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger))
)


@dataclass
class ProcessLock:
    """A lock named ``name`` held until ``release`` (or the process's end)."""

    name: str
    _engine: AsyncEngine | None = None
    _connection: AsyncConnection | None = None
    _file: IO[bytes] | None = None

    @classmethod
    async def try_acquire(cls, database_url: str, name: str) -> ProcessLock | None:
        """The lock, or None when another process holds it."""
        url = make_url(database_url)
        if url.get_backend_name() == "postgresql":
            engine = create_async_engine(
                database_url, poolclass=NullPool, connect_args={"timeout": PG_CONNECT_TIMEOUT}
            )
            connection = await engine.connect()
            held = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(name)}
            )
            await connection.commit()  # the lock is the session's: no transaction left open
            if not held:
                await connection.close()
                await engine.dispose()
                return None
            return cls(name, _engine=engine, _connection=connection)
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return cls(name)  # nothing on disk to share: no other process can use it
        path = Path(f"{database}.{name}.lock")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # as the database's own
        handle = open(path, "ab")  # noqa: SIM115 - held open for the process's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        os.chmod(path, 0o600)
        return cls(name, _file=handle)

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.close()  # ends the session and its advisory lock
            self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
