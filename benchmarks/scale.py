"""Scale benchmark: 1, 2 and 4 webhook processes on one PostgreSQL database.

    .venv/bin/python benchmarks/scale.py [--patients 1000] [--processes 1,2,4]
        [--database-url postgresql+asyncpg://...] [--profile DIR]

Each round starts that many processes of the real bot (``bot.tg.running_bot`` in webhook
mode, every step committed with its processed update id; the rate limiter's overall cap
is lifted, as in ``telegram_e2e.py``) on a fresh PostgreSQL database of their own. Then all
the patients go through the 10-step flow of ``telegram_e2e.py`` at once (saturated: each
sends its next answer as soon as the reply arrives), and the round prints updates per
second, p50/p99 latency, the CPU each part used, and the throughput against one process.

The Bot API emulator plays Telegram and the proxy: it posts updates over up to
``CONNECTIONS`` connections at once (Telegram's default ``max_connections``), each to the
next process in turn. Every process is a real OS process; the emulator and the patients
share this one. Without ``--database-url`` (or ``TEST_POSTGRES_URL``) a throwaway
PostgreSQL server is started from /usr/lib/postgresql, as ``.ci/run`` starts one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.telegram_e2e import (  # noqa: E402
    TOKEN,
    FastEmulator,
    Result,
    _cpu_seconds,
    agree_all,
    coach_settings,
    count_journal,
    run_patients,
    serve_coach,
    write_flow,
)
from tests.coach.test_database_faults import _free_port, _pg_bin, _Server  # noqa: E402
from tests.databases import create_postgres_database, drop_postgres_database  # noqa: E402

SECRET = "scale-benchmark-secret"
#: Telegram's default number of simultaneous webhook connections.
CONNECTIONS = 40


class SpreadingEmulator(FastEmulator):
    """The emulator as Telegram and a round-robin proxy: up to ``CONNECTIONS`` webhook
    posts at once, each to the next process. (The emulator's own loop posts one update at
    a time to one URL, which would cap every round at one process's round trip.)"""

    backends: list[str]
    failed_posts = 0

    async def _webhook_loop(self) -> None:
        assert self._changed is not None
        slots = asyncio.Semaphore(CONNECTIONS)
        turns = itertools.cycle(self.backends)
        posting: set[asyncio.Task[None]] = set()
        while True:
            async with self._changed:
                while not self._pending and not self._closing:
                    await self._changed.wait()
            if self._closing:
                return
            await slots.acquire()
            update = self._pending.popleft()
            task = asyncio.create_task(self._post(update, next(turns), slots))
            posting.add(task)
            task.add_done_callback(posting.discard)

    async def _post(self, update: Any, url: str, slots: asyncio.Semaphore) -> None:
        """Deliver one update, again after a short wait until the process takes it."""
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        update.delivered_at = time.monotonic()
        try:
            while True:
                try:
                    async with self._client().post(
                        url, data=json.dumps(update.payload), headers=headers
                    ) as response:
                        await response.read()
                        if response.status == 200:
                            break
                except OSError:
                    pass
                self.failed_posts += 1
                await asyncio.sleep(self.webhook_retry_delay)
            update.confirmed = True
        finally:
            slots.release()


# -- the PostgreSQL server ----------------------------------------------------------------


@contextmanager
def postgres(given: str | None) -> Iterator[tuple[str, _Server | None]]:
    """(the server's URL, the server when this benchmark started it)."""
    if given:
        yield given, None
        return
    bin_dir = _pg_bin()
    if bin_dir is None:
        sys.exit(
            "No PostgreSQL here: install it (apt-get install postgresql) "
            "or give --database-url postgresql+asyncpg://user@host/db."
        )
    folder = Path(tempfile.mkdtemp(prefix="coach-scale-pg."))
    server = _Server(bin_dir, folder)
    try:
        yield server.start(), server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _server_cpu(server: _Server | None) -> float:
    """CPU seconds PostgreSQL's processes have used so far (0 for a server not started here;
    a backend that has ended no longer counts, so read it while the bots are connected)."""
    if server is None:
        return 0.0
    total = 0.0
    for pid in server.pids():
        with contextlib.suppress(OSError):  # a backend ended between the listing and now
            total += _cpu_seconds(pid)
    return total


# -- one round ------------------------------------------------------------------------------


@asynccontextmanager
async def bots(
    count: int, emu: SpreadingEmulator, database_url: str, workdir: Path, profile: Path | None
) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    """``count`` bot processes on their own webhook ports, each ready before the next
    starts (the first creates the schema)."""
    ports = [_free_port() for _ in range(count)]
    emu.backends = [f"http://127.0.0.1:{port}/hook" for port in ports]
    children: list[subprocess.Popen[bytes]] = []
    try:
        for n, port in enumerate(ports):
            profiler = (
                ["-m", "cProfile", "-o", str(profile / f"scale-{count}-{n}.prof")]
                if profile
                else []
            )
            child = subprocess.Popen(
                [sys.executable, *profiler, __file__, "--serve", emu.base_url, str(workdir),
                 database_url, str(port)],
                stdout=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            children.append(child)
            assert child.stdout is not None
            line = await asyncio.to_thread(child.stdout.readline)
            assert line.strip() == b"ready", line
        yield children
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            await asyncio.to_thread(child.wait, 60)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(
    count: int,
    patients: int,
    base_url: str,
    server: _Server | None,
    workdir: Path,
    profile: Path | None,
) -> Result:
    database_url = await create_postgres_database(base_url)
    try:
        async with (
            SpreadingEmulator(token=TOKEN) as emu,
            bots(count, emu, database_url, workdir, profile) as children,
        ):
            warm_up = 10 * count
            await agree_all(emu, 1, warm_up)
            await agree_all(emu, 100_000, patients)
            await run_patients(emu, 1, warm_up, 0)  # connections, caches, the first plans
            bots_before = sum(_cpu_seconds(c.pid) for c in children)
            db_before, own_before = _server_cpu(server), _own_cpu()
            updates, seconds, latencies = await run_patients(emu, 100_000, patients, 0)
            bot_cpu = sum(_cpu_seconds(c.pid) for c in children) - bots_before
            db_cpu, own_cpu = _server_cpu(server) - db_before, _own_cpu() - own_before
            failed = emu.failed_posts
        stored = await count_journal(database_url)
    finally:
        await drop_postgres_database(database_url)
    result = Result(f"{count} proc", "saturated", updates, seconds, latencies, bot_cpu)
    print(result.line(), flush=True)
    per_update = 1000 / updates
    print(
        f"  CPU per update: bots {bot_cpu * per_update:.2f} ms, PostgreSQL "
        + (f"{db_cpu * per_update:.2f} ms" if server else "(not started here)")
        + f", emulator and patients {own_cpu * per_update:.2f} ms; "
        f"{(bot_cpu + db_cpu + own_cpu) / seconds:.2f} of {os.cpu_count()} CPUs busy; "
        f"journal entries {stored} (expected {warm_up + patients}); "
        f"webhook posts refused {failed}",
        flush=True,
    )
    assert stored == warm_up + patients, "a step was lost or doubled"
    return result


async def main(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.processes.split(",")]
    given = args.database_url or os.environ.get("TEST_POSTGRES_URL")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp, postgres(given) as (url, pg):
        workdir = Path(tmp)
        write_flow(workdir)
        print(
            f"{args.patients} patients x 11 updates (/bench + 10 answers), saturated, "
            f"webhook over {CONNECTIONS} connections; python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs"
        )
        results = [
            await one_round(n, args.patients, url, pg, workdir, args.profile) for n in counts
        ]
    one = results[0]
    for result in results:
        print(
            f"{result.bot}: {result.rate:.1f} updates/s = {result.rate / one.rate:.2f} x "
            f"{one.bot}; p50 {result.pct(50):.0f} ms, p99 {result.pct(99):.0f} ms"
        )


async def serve(base_url: str, workdir: str, database_url: str, port: str) -> None:
    """One bot process: its own webhook port, the shared database."""
    settings = coach_settings(
        base_url,
        Path(workdir),
        database_url=database_url,
        webhook_url=f"http://127.0.0.1:{port}/hook",
        webhook_port=int(port),
        webhook_secret=SECRET,
    )
    await serve_coach(settings, webhook=True)


def _cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--processes", default="1,2,4", help="bot processes in each round")
    parser.add_argument("--database-url", help="a PostgreSQL server to create databases on")
    parser.add_argument("--profile", type=Path, help="write each process's cProfile here")
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import logging

        logging.basicConfig(level=logging.WARNING)
        asyncio.run(serve(*args.serve))
        return
    asyncio.run(main(args))


if __name__ == "__main__":
    _cli()
