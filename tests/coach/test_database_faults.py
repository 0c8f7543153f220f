"""Crisis help never waits for the database: faults injected for real.

A SQLite file locked by another connection's write transaction (held far longer than the
deadlines), a read-only SQLite file, and (with a PostgreSQL server for the tests) one
stopped under the coach. A crisis message and /sos are answered in under 3 s, an ordinary
answer gets the kind "try again" in under 10 s, and a crisis's safety event is stored once
the database answers again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.coach import service as service_module
from bot.coach.service import CoachService, Reply
from bot.db.migrate import upgrade_to_head
from bot.db.models import SafetyEventRow
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound
from tests.coach.helpers import agree
from tests.databases import postgres_server

CRISIS = "I want to kill myself"
URGENT_LIMIT = 3.0
KIND_LIMIT = 10.0


def _text(reply: Reply) -> str:
    return "\n".join(m.text for m in reply.messages)


async def _timed(
    service: CoachService, who: str, event: Inbound, **kw: object
) -> tuple[float, Reply]:
    started = time.monotonic()
    reply = await service.handle(who, event, **kw)  # type: ignore[arg-type]
    took = time.monotonic() - started
    print(f"{event.command or 'text'} {who}: {took:.2f} s")  # pytest -s shows the figures
    return took, reply


async def _check_answers_without_database(service: CoachService, *, readable: bool) -> None:
    """``readable``: the database can still be read (a SQLite file another connection holds
    a write lock on: WAL readers go on), so
    a chat that has not agreed to storage, which needs no write, is answered as usual."""
    unavailable = service.engine.library.content.get("system.unavailable")
    menu = service.engine.library.content.get("system.menu_title")
    for who, reactivate in (("known", False), ("new-patient", True)):
        took, reply = await _timed(service, who, Inbound.message(CRISIS), reactivate=reactivate)
        assert took < URGENT_LIMIT, f"crisis answered after {took:.1f} s"
        assert "988" in _text(reply) and not reply.stored
        took, reply = await _timed(service, who, Inbound.message("/sos"), reactivate=reactivate)
        assert took < URGENT_LIMIT, f"/sos answered after {took:.1f} s"
        assert "988" in _text(reply)
        took, reply = await _timed(service, who, Inbound.message("/menu"), reactivate=reactivate)
        assert took < KIND_LIMIT, f"kind reply after {took:.1f} s"
        stores_nothing = who == "new-patient" and readable
        assert _text(reply) == (menu if stores_nothing else unavailable)


async def _safety_events(database: Database) -> int:
    return await database.transaction(
        lambda c: c.execute(select(func.count()).select_from(SafetyEventRow)).scalar_one()
    )


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background store of a safety event tries again after a fraction of a second."""
    monkeypatch.setattr(service_module, "SAFETY_EVENT_RETRIES", (0.3,) * 20)


@pytest.fixture
async def sqlite_service(tmp_path: Path, engine: Engine) -> AsyncIterator[CoachService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/data/coach.sqlite3")
    await upgrade_to_head(database)
    service = CoachService(engine, database, "test")
    await agree(service, "known")  # a patient the database knows (and stores)
    yield service
    await service.close()
    await database.dispose()


@pytest.mark.usefixtures("quick_retries")
@pytest.mark.sqlite_only
async def test_a_locked_sqlite_file_delays_no_crisis_answer(
    sqlite_service: CoachService, tmp_path: Path
) -> None:
    locker = sqlite3.connect(tmp_path / "data" / "coach.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process's write transaction, held throughout
    try:
        before = time.monotonic()
        await _check_answers_without_database(sqlite_service, readable=True)
        assert time.monotonic() - before < 60
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    # The lock is gone: the crisis answered without the database is stored afterwards.
    for _ in range(100):
        if await _safety_events(sqlite_service.database) >= 1:
            break
        await asyncio.sleep(0.1)
    assert await _safety_events(sqlite_service.database) >= 1


@pytest.mark.sqlite_only
async def test_a_read_only_sqlite_file_delays_no_crisis_answer(
    sqlite_service: CoachService, tmp_path: Path, engine: Engine
) -> None:
    url = sqlite_service.database.url
    await sqlite_service.database.dispose()  # closed cleanly: no -wal or -shm left
    assert not (tmp_path / "data" / "coach.sqlite3-wal").exists()
    with _read_only_folder(tmp_path):
        database = Database(url)
        service = CoachService(engine, database, "test")
        try:
            await _check_answers_without_database(service, readable=False)
        finally:
            await service.close()
            await database.dispose()


def _read_only_folder(tmp_path: Path) -> _ReadOnly:
    return _ReadOnly(tmp_path / "data")


class _ReadOnly:
    """The database folder and file made read-only for real (root ignores modes: chattr +i)."""

    def __init__(self, folder: Path) -> None:
        self.paths = [folder / "coach.sqlite3", folder]
        self.as_root = os.geteuid() == 0

    def __enter__(self) -> None:
        if self.as_root and shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: cannot make a file read-only")
        for path in self.paths:
            if self.as_root:
                subprocess.run(["chattr", "+i", str(path)], check=True)
            else:
                path.chmod(0o500 if path.is_dir() else 0o400)

    def __exit__(self, *exc: object) -> None:
        for path in reversed(self.paths):
            if self.as_root:
                subprocess.run(["chattr", "-i", str(path)], check=False)
            else:
                path.chmod(0o700 if path.is_dir() else 0o600)


# -- PostgreSQL: a throwaway server of our own, stopped or frozen under the coach ------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    return found[-1] if found else None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """A PostgreSQL server in a temporary folder (as `.ci/run` starts one)."""

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin, self.folder, self.port = bin_dir, folder, _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *args], check=True, capture_output=True)

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", f"{self.folder}/data", "-A", "trust", "-U", "coach"
        )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", f"{self.folder}/data", "-w", "-l",
                  f"{self.folder}/log", "-o", options, "start")  # fmt: skip
        return f"postgresql+asyncpg://coach@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", f"{self.folder}/data", "-m", "immediate", "stop")

    def pids(self) -> list[int]:
        postmaster = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [postmaster, *(int(p) for p in children.stdout.split())]


@pytest.fixture
def pg_server() -> Iterator[_Server]:
    if not postgres_server():
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.fail("TEST_POSTGRES_URL is set but no PostgreSQL binaries in /usr/lib/postgresql")
    folder = Path(tempfile.mkdtemp(prefix="coach-faults-pg."))  # the postgres user reaches it
    server = _Server(bin_dir, folder)
    yield server
    try:
        for pid in server.pids():
            os.kill(pid, signal.SIGCONT)
        server.stop()
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass  # already stopped
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["stopped", "frozen"])
@pytest.mark.usefixtures("quick_retries")
async def test_a_postgresql_server_stopped_or_frozen_delays_no_crisis_answer(
    pg_server: _Server, engine: Engine, fault: str
) -> None:
    database = Database(pg_server.start())
    await upgrade_to_head(database)
    service = CoachService(engine, database, "test")
    await agree(service, "known")
    try:
        if fault == "stopped":
            pg_server.stop()
        else:
            for pid in pg_server.pids():
                os.kill(pid, signal.SIGSTOP)
        await _check_answers_without_database(service, readable=False)
    finally:
        if fault == "frozen":
            for pid in pg_server.pids():
                os.kill(pid, signal.SIGCONT)
        await service.close()
        await asyncio.wait_for(database.dispose(), 30)
