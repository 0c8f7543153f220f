"""Reminder benchmark: 10,000 patients whose daily check-in falls due in the same minute.

    .venv/bin/python benchmarks/reminders.py [--patients 10000] [--rate-slice 600]

Three parts, each on a fresh SQLite file (``--database-url`` for PostgreSQL; each part
then empties the reminder tables and patients first):

1. ``cost``: the dispatcher alone, sending stubbed out: claim, open the check-in, mark
   sent. Prints its own cost per reminder.
2. ``rate``: the real bot with its ``AIORateLimiter`` (Telegram's 30/s) sends a slice of
   ``--rate-slice`` reminders to the Bot API emulator, which itself answers 429 above 30
   sends in any second. Prints the sustained send rate and the 429s seen. A slice, not all
   10,000, so the default run stays short (10,000 at 30/s take 5.5 minutes).
3. ``kill -9``: the real bot, rate limiter off, sends all the reminders to the emulator; it
   is killed with SIGKILL half-way through the batch and started again. Prints how many
   reminders each patient received. Duplicates must be zero; a send whose request was in
   flight at the kill (at most ``parallel``, 6) is not repeated (``unknown`` in the store),
   so it is lost if the request had not reached the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, select  # noqa: E402

from bot.coach.build import build_coach, build_library  # noqa: E402
from bot.coach.reminders import Dispatcher, DispatchSettings  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import Conversation, Patient, Reminder, ReminderSend  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.shared.messages import OutboundMessage  # noqa: E402

TOKEN = "123456:BENCH"
FIRST_CHAT = 500_000
LEASE_SECONDS = 3.0


def settings_for(database_url: str, base_url: str = "http://127.0.0.1:1/bot") -> Settings:
    return Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base_url=base_url,
        database_url=database_url,
        booking_url="https://example.org/book",
        flows_dir=ROOT / "flows",
        content_dir=ROOT / "content",
        reminder_interval_seconds=0.2,
    )


async def seed(database_url: str, count: int) -> None:
    """``count`` patients on Telegram, each with a reminder due half a minute ago."""
    database = Database(database_url)
    await upgrade_to_head(database)
    now = datetime.now(UTC)
    hhmm = now.strftime("%H:%M")

    def fill(connection) -> None:  # type: ignore[no-untyped-def]
        for table in (ReminderSend, Reminder, Conversation, Patient):
            connection.execute(delete(table))
        ids = (
            connection.execute(
                insert(Patient).returning(Patient.id, sort_by_parameter_order=True),
                [
                    {
                        "channel": "telegram",
                        "external_id": str(FIRST_CHAT + n),
                        "timezone": "UTC",
                        "checkin_time": hhmm,
                        "checkins": True,
                        "consent": True,
                        "active": True,
                        "crisis_alerts": False,
                        "created_at": now,
                    }
                    for n in range(count)
                ],
            )
            .scalars()
            .all()
        )
        connection.execute(
            insert(Reminder),
            [
                {"patient_id": pid, "next_due": now - timedelta(seconds=30), "unanswered": 0}
                for pid in ids
            ],
        )

    await database.transaction(fill)
    await database.dispose()


async def statuses(database_url: str) -> Counter[str]:
    database = Database(database_url)
    try:
        return await database.transaction(
            lambda c: Counter(row[0] for row in c.execute(select(ReminderSend.status)))
        )
    finally:
        await database.dispose()


# -- 1. the dispatcher's own cost --------------------------------------------------------


async def part_cost(database_url: str, count: int) -> None:
    await seed(database_url, count)
    library = build_library(settings_for(database_url))
    coach = await build_coach(settings_for(database_url), "telegram", library)
    seen: Counter[str] = Counter()

    async def stub(external_id: str, message: OutboundMessage) -> None:
        seen[external_id] += 1

    dispatcher = Dispatcher(coach.service, stub, DispatchSettings(max_rate=0))
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = await dispatcher.tick()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await coach.close()
    print(
        f"cost     {count} reminders, sending stubbed: {elapsed:.1f} s, "
        f"{elapsed / count * 1000:.2f} ms per reminder ({count / elapsed:.0f}/s), "
        f"CPU {cpu / count * 1000:.2f} ms per reminder (all threads; steady when the "
        "machine is busy); "
        f"sent={outcomes['sent']} distinct={len(seen)} duplicates={sum(v - 1 for v in seen.values())}",
        flush=True,
    )


# -- 2. the sustained rate through the rate limiter --------------------------------------


async def part_rate(database_url: str, count: int) -> None:
    from bot.tg.runner import running_bot
    from tests.tg_emulator import BotApiEmulator

    await seed(database_url, count)
    async with BotApiEmulator(token=TOKEN) as emu:
        emu.set_rate_limit(30, 1.0)  # like Telegram: 429 above 30 sends in a second
        settings = settings_for(database_url, emu.base_url)
        async with running_bot(settings, build_library(settings)):
            deadline = time.monotonic() + count / 20 + 60
            while _accepted(emu) < count and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        times = sorted(c.at for c in emu.call_log if _is_send(c) and c.status == 200)
        refused = sum(1 for c in emu.call_log if _is_send(c) and c.status == 429)
        chats = _receivers(emu)
    steady = times[len(times) // 10 :]  # leave out the first tenth (start-up)
    rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    print(
        f"rate     {count} reminders (a slice; the rate is what matters) with the rate limiter "
        f"on: {rate:.1f} sends/s sustained, {len(times)} delivered, 429 answers={refused}, "
        f"over {times[-1] - times[0]:.1f} s; distinct chats={len(chats)}",
        flush=True,
    )


def _is_send(call) -> bool:  # type: ignore[no-untyped-def]
    return call.method.lower() == "sendmessage"


def _accepted(emu) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for c in emu.call_log if _is_send(c) and c.status == 200)


def _receivers(emu) -> Counter[int]:  # type: ignore[no-untyped-def]
    """How many reminders each chat received (calls the emulator answered with 200)."""
    return Counter(
        int(c.params["chat_id"]) for c in emu.call_log if _is_send(c) and c.status == 200
    )


# -- 3. kill -9 in the middle of the batch, then restart ---------------------------------


async def serve(database_url: str, base_url: str) -> None:
    """The real bot in this (child) process, rate limiter off, short lease, until killed."""
    import functools

    import bot.tg.reminders as tg_reminders
    from bot.tg.runner import running_bot

    tg_reminders.DispatchSettings = functools.partial(  # type: ignore[misc]
        DispatchSettings, lease=timedelta(seconds=LEASE_SECONDS)
    )
    settings = settings_for(database_url, base_url)
    async with running_bot(settings, build_library(settings), max_rate=0):
        await asyncio.Event().wait()


async def part_kill(database_url: str, count: int) -> None:
    from tests.tg_emulator import BotApiEmulator

    await seed(database_url, count)
    async with BotApiEmulator(token=TOKEN) as emu:

        async def start() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--serve",
                database_url,
                emu.base_url,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )

        child = await start()
        try:
            while _accepted(emu) < count // 2:
                await asyncio.sleep(0.01)
            child.send_signal(signal.SIGKILL)
            await child.wait()
            at_kill = _accepted(emu)
            print(f"  killed the bot after {at_kill} sends", file=sys.stderr, flush=True)
            at_kill_rows = await statuses(database_url)
            started = time.monotonic()
            child = await start()
            last, quiet_since = -1, time.monotonic()
            while time.monotonic() - quiet_since < LEASE_SECONDS + 5:
                if _accepted(emu) != last:
                    last, quiet_since = _accepted(emu), time.monotonic()
                if len(_receivers(emu)) >= count:
                    await asyncio.sleep(LEASE_SECONDS + 1)  # anything doubled would come now
                    break
                await asyncio.sleep(0.2)
            recovered = time.monotonic() - started
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                await child.wait()
        chats = _receivers(emu)
    expected = {FIRST_CHAT + n for n in range(count)}
    duplicates = sum(v - 1 for v in chats.values() if v > 1)
    lost = len(expected - set(chats))
    final = await statuses(database_url)
    print(
        f"kill -9  {count} reminders, rate limiter off: killed after {at_kill} sends "
        f"(then stored: {dict(sorted(at_kill_rows.items()))}), restarted, "
        f"done in {recovered:.1f} s; "
        f"received by {len(chats)} patients, duplicates={duplicates}, lost={lost}; "
        f"stored: {dict(sorted(final.items()))}",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rate-slice", type=int, default=600)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--parts", default="cost,rate,kill")
    parser.add_argument(
        "--serve", nargs=2, metavar=("DATABASE_URL", "BASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        await serve(*args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:

        def url(part: str) -> str:
            return args.database_url or f"sqlite+aiosqlite:///{tmp}/{part}.sqlite3"

        parts = args.parts.split(",")
        if "cost" in parts:
            await part_cost(url("cost"), args.patients)
        if "rate" in parts:
            await part_rate(url("rate"), args.rate_slice)
        if "kill" in parts:
            await part_kill(url("kill"), args.patients)


if __name__ == "__main__":
    asyncio.run(main())
