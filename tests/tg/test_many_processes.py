"""Several `coach run --webhook` processes serving one bot from one PostgreSQL database.

The Bot API emulator posts every update to a small load balancer in the test, which hands
each one to either process at random and some to both (Telegram redelivers; a balancer may
retry). Many patients talk at once, one chat's updates go to different processes in quick
succession, and every step must happen exactly once and in order. Then the PostgreSQL
server is stopped and started again under both processes: /sos is answered throughout,
neither process crashes, and the conversations go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.db.models import Conversation, Patient, ProcessedUpdate
from bot.db.session import Database
from tests.cli.test_startup import COACH, ROOT, SECRET, _env, _no_token
from tests.coach.test_database_faults import _pg_bin, _Server
from tests.databases import create_postgres_database, drop_postgres_database, postgres_server
from tests.tg.conftest import say, tap
from tests.tg_emulator import BotApiEmulator, EmulatedUser

pytestmark = pytest.mark.postgres

WEBHOOK_SECRET = "many-processes-test-secret"
PATIENTS = 24
DUPLICATE_SHARE = 0.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Balancer:
    """Hands each webhook POST to a random process; some to both (a duplicate)."""

    backends: list[int]
    port: int = field(default_factory=_free_port)
    seed: int = 20261202
    handed: dict[int, int] = field(default_factory=dict)
    duplicates: int = 0

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        chosen = [self._random.choice(self.backends)]
        if self._random.random() < DUPLICATE_SHARE:
            chosen = list(self.backends)
            self.duplicates += 1
        statuses = []
        async with aiohttp.ClientSession() as session:
            for port in chosen:
                self.handed[port] = self.handed.get(port, 0) + 1
                try:
                    async with session.post(
                        f"http://127.0.0.1:{port}/hook", data=body, headers=headers
                    ) as response:
                        statuses.append(response.status)
                except aiohttp.ClientError:
                    statuses.append(502)
        return web.Response(status=200 if 200 in statuses else 502)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Balancer]:
        self._random = random.Random(self.seed)
        app = web.Application()
        app.router.add_post("/hook", self._forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        try:
            yield self
        finally:
            await runner.cleanup()


@dataclass
class Process:
    process: asyncio.subprocess.Process
    webhook_port: int
    health_port: int

    async def healthy(self) -> bool:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.health_port}/healthz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False


async def _start(env: dict[str, str], balancer_port: int, webhook_port: int) -> Process:
    health_port = _free_port()
    env = {
        **env,
        "WEBHOOK_URL": f"http://127.0.0.1:{balancer_port}/hook",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(webhook_port),
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "METRICS_PORT": str(health_port),
    }
    process = await asyncio.create_subprocess_exec(
        COACH, "run", "--webhook",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return Process(process, webhook_port, health_port)


async def _until(check: object, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@asynccontextmanager
async def _two_processes(
    emu: BotApiEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[list[Process], Balancer]]:
    ports = [_free_port(), _free_port()]
    env = _env(tmp_path, TELEGRAM_API_BASE_URL=emu.base_url, DATABASE_URL=database_url)
    async with Balancer(ports).running() as balancer:
        processes = [await _start(env, balancer.port, port) for port in ports]
        outputs: list[str] = []
        try:
            for process in processes:
                await _until(process.healthy, 90, "both processes healthy")
            yield processes, balancer
            for process in processes:
                assert process.process.returncode is None, "a process ended on its own"
        finally:
            for process in processes:
                if process.process.returncode is None:
                    process.process.send_signal(signal.SIGTERM)
                out, _ = await asyncio.wait_for(process.process.communicate(), 60)
                outputs.append(out.decode(errors="replace"))
    for output in outputs:
        assert "Traceback" not in output, output[-3000:]
        _no_token(output)


async def _onboard(user: EmulatedUser, name: str) -> None:
    """/start and consent first: from then on the coach keeps what the patient does."""
    await say(user, "/start", count=2, timeout=20)
    await tap(user, "Okay, go on", count=2, timeout=20)
    await tap(user, "Yes", timeout=20)
    await say(user, name, timeout=20)
    await tap(user, "Central", timeout=20)
    (welcome,) = await tap(user, "No", timeout=20)
    assert "/sos" in welcome.text


async def _thought_record(user: EmulatedUser, n: int) -> None:
    """Three steps whose answers each show in the next question: out of order, they fail."""
    await say(user, "/reframe", count=2, timeout=20)
    (thought_q,) = await say(user, f"Patient {n} missed the bus", timeout=20)
    assert "What went through your mind?" in thought_q.text
    (belief_q,) = await say(user, f"I always mess up day {n}", timeout=20)
    assert f"I always mess up day {n}" in belief_q.text, belief_q.text
    (emotion_q,) = await say(user, "90", timeout=20)
    assert "Anxious" in [b for row in emotion_q.buttons for b in row]


async def _count(database: Database, table: type) -> int:
    return await database.transaction(
        lambda c: c.execute(select(func.count()).select_from(table)).scalar_one()
    )


@pytest.fixture
async def shared_database() -> AsyncIterator[str]:
    base = postgres_server()
    if not base:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    url = await create_postgres_database(base)
    yield url
    await drop_postgres_database(url)


async def test_two_processes_answer_every_step_once_and_in_order(
    shared_database: str, tmp_path: Path
) -> None:
    async with (
        BotApiEmulator(token=SECRET) as emu,
        _two_processes(emu, shared_database, tmp_path) as (processes, balancer),
    ):
        users = [emu.user(880000 + n, f"P{n}") for n in range(PATIENTS)]
        await asyncio.gather(*(_onboard(u, f"P{n}") for n, u in enumerate(users)))
        await asyncio.gather(*(_thought_record(u, n) for n, u in enumerate(users)))
        # Quick succession: five messages of one chat without waiting, each to whichever
        # process the balancer picks; each gets exactly one answer.
        before = {u.chat_id: len(emu.sent(u.chat_id)) for u in users}
        for user in users:
            for _ in range(5):
                await user.send("/help")
        for user in users:
            await user.wait_for_reply(timeout=30, count=5)
        await asyncio.sleep(1.0)  # anything doubled would arrive now
        for user in users:
            assert len(emu.sent(user.chat_id)) == before[user.chat_id] + 5
        assert not emu.pending_updates
        sent_updates = len({d["update_id"] for d in emu.webhook_deliveries if not d["error"]})

        database = Database(shared_database)
        try:
            assert await _count(database, Patient) == PATIENTS
            assert await _count(database, Conversation) == PATIENTS
            handled = await _count(database, ProcessedUpdate)
        finally:
            await database.dispose()
    assert handled == sent_updates  # every update claimed once, duplicates included
    assert balancer.duplicates > 20 and all(n > 100 for n in balancer.handed.values())
    print(f"updates={sent_updates} duplicates={balancer.duplicates} handed={balancer.handed}")


class _RestartableServer(_Server):
    def start_again(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", f"{self.folder}/data", "-w", "-l",
                  f"{self.folder}/log", "-o", options, "start")  # fmt: skip


@pytest.fixture
def own_server() -> Iterator[_RestartableServer]:
    if not postgres_server():
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.fail("a PostgreSQL server is set but no PostgreSQL binaries in /usr/lib/postgresql")
    folder = Path(tempfile.mkdtemp(prefix="coach-restart-pg."))
    server = _RestartableServer(bin_dir, folder)
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()  # unless already stopped
    shutil.rmtree(folder, ignore_errors=True)


async def test_postgresql_stopped_and_started_under_two_processes(
    own_server: _RestartableServer, tmp_path: Path
) -> None:
    url = own_server.start()
    async with (
        BotApiEmulator(token=SECRET) as emu,
        _two_processes(emu, url, tmp_path) as (processes, _balancer),
    ):
        users = [emu.user(990000 + n, f"R{n}") for n in range(6)]
        await asyncio.gather(*(_onboard(u, f"R{n}") for n, u in enumerate(users)))
        for user in users:
            await say(user, "/reframe", count=2, timeout=20)

        own_server.stop()
        for user in users:  # each to whichever process the balancer picks
            started = asyncio.get_running_loop().time()
            replies = await say(user, "/sos", timeout=10)
            took = asyncio.get_running_loop().time() - started
            assert "988" in replies[0].text, replies[0].text
            assert took < 5, f"/sos answered after {took:.1f} s with the database down"
        assert not any([await p.healthy() for p in processes])  # 503 while it is down

        own_server.start_again()
        for process in processes:
            await _until(process.healthy, 30, "healthy again once PostgreSQL is back")
        for n, user in enumerate(users):
            await _thought_record(user, n)  # a new thought record starts and goes on
