"""End-to-end Telegram benchmark: 200 patients through a 10-step flow, over real HTTP.

    .venv/bin/python benchmarks/telegram_e2e.py [--patients 200] [--think 0.5] [--profile DIR]

The Bot API emulator and the simulated patients run in this process; each bot runs in its
own process (as in production), polling the emulator over loopback HTTP:

* ``coach``: the real bot (``bot.tg.running_bot``), every step committed to SQLite with
  its processed update id; the rate limiter's overall cap is lifted (``max_rate=0``),
  since the emulator enforces none and Telegram's 30/s would be what is measured;
* ``baseline``: what a developer would otherwise write: a PTB ``ConversationHandler``
  with ``PicklePersistence`` (PTB's defaults: updates processed one at a time, the pickle
  written every 60 seconds and at shutdown, not per step).

Each patient sends /bench and then 10 answers, waiting for each reply. Two rounds per
bot: ``saturated`` (no think time: throughput) and ``paced`` (``--think`` seconds of
random think time around the mean: latency under a realistic load). Latency is from the
patient's message being queued at the emulator to the bot's reply arriving there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from tests.tg_emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456:BENCH"
STEPS = 10
QUESTIONS = [f"Question {i}: what comes to mind?" for i in range(1, STEPS + 1)]
GOODBYE = "Thank you, that is all."


# -- the workload -------------------------------------------------------------------------


def write_flow(workdir: Path) -> tuple[Path, Path]:
    """The shipped flows and texts (onboarding and consent come first) and a 10-step text
    flow, in a temporary FLOWS_DIR and CONTENT_DIR."""
    flows, content = workdir / "flows", workdir / "content"
    shutil.copytree(ROOT / "flows", flows)
    shutil.copytree(ROOT / "content", content)
    lines = [f'q{i}: "{q}"' for i, q in enumerate(QUESTIONS, 1)] + [f'goodbye: "{GOODBYE}"']
    (content / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    steps = []
    for i in range(1, STEPS + 1):
        following = f"s{i + 1}" if i < STEPS else "done"
        steps.append(
            f"  s{i}:\n    say: bench.q{i}\n    ask: text\n    save: a{i}\n    next: {following}\n"
        )
    fields = ", ".join(f"a{i}" for i in range(1, STEPS + 1))
    steps.append(
        f"  done:\n    say: bench.goodbye\n    record:\n      kind: bench_entry\n"
        f"      fields: [{fields}]\n    end: true\n"
    )
    (flows / "bench.yaml").write_text(
        "id: bench\ntitle: Benchmark\ndescription: Ten questions.\nversion: 1\n"
        "start:\n  command: bench\n\nsteps:\n" + "".join(steps),
        encoding="utf-8",
    )
    return flows, content


# -- the two bots (each runs in a child process: --serve coach|baseline) -----------------


def coach_settings(base_url: str, workdir: Path, **more: Any) -> Settings:
    """The coach's settings for a benchmark bot: the workload's flows, a SQLite file in
    ``workdir`` unless ``more`` names another database, and anything else ``more`` sets."""
    return Settings(
        **{
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": base_url,
            "database_url": f"sqlite+aiosqlite:///{workdir}/coach.sqlite3",
            "flows_dir": workdir / "flows",
            "content_dir": workdir / "content",
            "safety_spool_dir": workdir / "spool",
            **more,
        }
    )


async def serve_coach(settings: Settings, *, webhook: bool = False) -> None:
    """The real bot (``bot.tg.running_bot``) until SIGTERM, polling or on its webhook."""
    from bot.coach.build import build_library
    from bot.tg.runner import running_bot

    library = build_library(settings)
    assert not library.problems, library.problems
    async with running_bot(settings, library, webhook=webhook, max_rate=0):
        await _until_terminated()


async def serve_baseline(base_url: str, workdir: Path) -> None:
    from telegram import Update
    from telegram.ext import (
        ApplicationBuilder,
        CommandHandler,
        ContextTypes,
        ConversationHandler,
        MessageHandler,
        PicklePersistence,
        filters,
    )

    async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data.clear()  # type: ignore[union-attr]
        await update.effective_message.reply_text(QUESTIONS[0])  # type: ignore[union-attr]
        return 0

    def answer(step: int):  # type: ignore[no-untyped-def]
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            context.user_data[f"a{step + 1}"] = update.effective_message.text  # type: ignore[index,union-attr]
            if step + 1 < STEPS:
                await update.effective_message.reply_text(QUESTIONS[step + 1])  # type: ignore[union-attr]
                return step + 1
            context.user_data.setdefault("journal", []).append(dict(context.user_data))  # type: ignore[union-attr]
            await update.effective_message.reply_text(GOODBYE)  # type: ignore[union-attr]
            return ConversationHandler.END

        return callback

    text = filters.TEXT & ~filters.COMMAND
    conversation = ConversationHandler(
        entry_points=[CommandHandler("bench", begin)],
        states={step: [MessageHandler(text, answer(step))] for step in range(STEPS)},
        fallbacks=[],
        name="bench",
        persistent=True,
    )
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .persistence(PicklePersistence(workdir / "baseline.pickle"))
        .build()
    )
    app.add_handler(conversation)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0)
        await app.start()
        await _until_terminated()
        await app.updater.stop()
        await app.stop()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()


# -- the patients ---------------------------------------------------------------------------


@dataclass
class Result:
    bot: str
    mode: str
    updates: int
    seconds: float
    latencies: list[float]
    bot_cpu: float  # CPU seconds the bot's process used in the round (all its threads)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.bot:9s} {self.mode:9s} {self.updates:5d} updates in {self.seconds:6.2f} s "
            f"= {self.rate:7.1f} updates/s   latency p50 {self.pct(50):6.1f} ms  "
            f"p99 {self.pct(99):6.1f} ms  max {max(self.latencies) * 1000:6.1f} ms  "
            f"bot CPU {self.bot_cpu / self.updates * 1000:4.2f} ms/update"
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FastEmulator(BotApiEmulator):
    """The emulator, with one future per waiting patient.

    ``EmulatedUser.wait_for_reply`` waits on the emulator's single condition, which every
    API call wakes: with 200 waiting patients that costs O(patients) per call and the
    emulator, not the bot, becomes what is measured. This subclass (the emulator itself is
    unchanged) resolves the waiting patient's future directly instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: dict[int, asyncio.Future[Any]] = {}

    def _store_bot_message(self, chat, *args, **kwargs):  # type: ignore[no-untyped-def]
        message = super()._store_bot_message(chat, *args, **kwargs)
        future = self.waiting.pop(chat["id"], None)
        if future is not None and not future.done():
            future.set_result(message)
        return message


async def agree_all(emu: BotApiEmulator, first_id: int, count: int, at_once: int = 100) -> None:
    """/start and "Yes" to storing answers for each patient, not measured: the coach runs
    no flow for a chat that has not agreed. ``at_once`` patients at a time, since each
    waits on the emulator's one condition (see ``FastEmulator``)."""
    from tests.tg.conftest import agree

    last = first_id + count
    for start in range(first_id, last, at_once):
        group = range(start, min(last, start + at_once))
        await asyncio.gather(*(agree(emu.user(i, f"P{i}")) for i in group))


async def run_patients(
    emu, first_id: int, count: int, think: float
) -> tuple[int, float, list[float]]:  # type: ignore[no-untyped-def]
    """``count`` patients through the flow at once; (updates, seconds, latencies)."""
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def patient(user_id: int) -> None:
        rng = random.Random(user_id)
        user = emu.user(user_id, f"P{user_id}")
        messages = ["/bench"] + [f"answer {i} of patient {user_id}" for i in range(1, STEPS + 1)]
        for text in messages:
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            emu.waiting[user_id] = reply_future = loop.create_future()
            await user.send(text)
            reply = await asyncio.wait_for(reply_future, 60)
            latencies.append(reply.latency)
        assert reply.text == GOODBYE, reply.text

    started = time.perf_counter()
    await asyncio.gather(*(patient(first_id + i) for i in range(count)))
    return count * (STEPS + 1), time.perf_counter() - started, latencies


async def bench_bot(
    kind: str, patients: int, think: float, workdir: Path, profile: Path | None = None
) -> list[Result]:
    results = []
    async with FastEmulator(token=TOKEN) as emu:
        profiler = ["-m", "cProfile", "-o", str(profile / f"{kind}.prof")] if profile else []
        child = subprocess.Popen(
            [
                sys.executable,
                *profiler,
                __file__,
                "--serve",
                kind,
                "--base-url",
                emu.base_url,
                "--workdir",
                str(workdir),
            ],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            assert child.stdout is not None
            line = await asyncio.to_thread(child.stdout.readline)
            assert line.strip() == b"ready", line
            rounds = (("saturated", 0.0, 10_000), ("paced", think, 20_000))
            if kind == "coach":
                for first, count in ((1, 10), *((first, patients) for _, _, first in rounds)):
                    await agree_all(emu, first, count)
            await run_patients(emu, 1, 10, 0)  # warm up (connections, caches)
            for mode, wait, first in rounds:
                cpu_before = _cpu_seconds(child.pid)
                updates, seconds, latencies = await run_patients(emu, first, patients, wait)
                cpu = _cpu_seconds(child.pid) - cpu_before
                results.append(Result(kind, mode, updates, seconds, latencies, cpu))
                print(results[-1].line(), flush=True)
            calls = emu.stats()["calls"]
            print(
                f"{kind:9s} Bot API calls: "
                + ", ".join(f"{name} {n}" for name, n in sorted(calls.items())),
                flush=True,
            )
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.to_thread(child.wait, 30)
    return results


async def count_journal(database_url: str) -> int:
    """Journal entries stored: one per patient who finished the flow."""
    from sqlalchemy import func, select

    from bot.db.models import JournalEntry
    from bot.db.session import Database

    database = Database(database_url)
    try:
        return await database.transaction(
            lambda c: int(c.execute(select(func.count()).select_from(JournalEntry)).scalar_one())
        )
    finally:
        await database.dispose()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        workdir = Path(tmp)
        write_flow(workdir)
        print(
            f"{args.patients} patients x {STEPS + 1} updates (/bench + {STEPS} answers), "
            f"paced think time ~{args.think} s; python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs"
        )
        coach = await bench_bot("coach", args.patients, args.think, workdir, args.profile)
        stored = await count_journal(f"sqlite+aiosqlite:///{workdir}/coach.sqlite3")
        expected = 10 + 2 * args.patients
        print(f"coach: {stored} journal entries stored (expected {expected}); every step committed")
        baseline = await bench_bot("baseline", args.patients, args.think, workdir, args.profile)
        for ours, theirs in zip(coach, baseline, strict=True):
            print(
                f"{ours.mode}: throughput coach/baseline = {ours.rate / theirs.rate:.2f}; "
                f"p99 coach {ours.pct(99):.1f} ms vs baseline {theirs.pct(99):.1f} ms"
            )


def _cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean think time in the paced round, seconds"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write each bot's cProfile stats into this folder (coach.prof, baseline.prof)",
    )
    parser.add_argument("--serve", choices=("coach", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import logging

        logging.basicConfig(level=logging.WARNING)
        if args.serve == "coach":
            asyncio.run(serve_coach(coach_settings(args.base_url, args.workdir)))
        else:
            asyncio.run(serve_baseline(args.base_url, args.workdir))
        return
    asyncio.run(main(args))


if __name__ == "__main__":
    _cli()
