"""Soak test: 100 patients at 30 updates/s for 10 minutes, over loopback HTTP only.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--patients 100] [--rate 30]
                                        [--tracemalloc]

The Bot API emulator and the patients run in this process; the bot runs in a child
process (the real application, ``bot.tg.running_bot``, logging INFO to a file as
``coach run`` does), against a SQLite file in a temporary folder. Each patient first goes
through /start and consents, then types check-in answers (/checkin, five numbers, a line,
/cancel) in turn; the patients together send ``--rate`` updates a second, whatever the
replies. Every minute it prints the child's RSS, its open files, the database (with its
WAL) and the log size, and the reply latency of that minute. ``--tracemalloc`` also
prints, each minute, where the child's Python heap grew most since the minute before
(the child starts tracing after start-up and takes a snapshot on each SIGUSR1; tracing
slows it, so take the RSS figures from a run without it).

Bounded: the emulator listens on 127.0.0.1, the run stops after ``--minutes``, and the
temporary folder is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "123456:SOAK"
SCRIPT = ["/checkin", "6", "5", "4", "7", "3", "a quiet day, some walking", "/cancel"]


async def serve(base_url: str, workdir: Path, trace: bool) -> None:
    """The child: the real bot until SIGTERM; on SIGUSR1 the heap's growth, with --trace."""
    import logging
    import tracemalloc

    from bot.coach.build import build_library
    from bot.config import Settings
    from bot.tg.runner import running_bot

    logging.basicConfig(
        filename=workdir / "coach.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base_url=base_url,
        database_url=f"sqlite+aiosqlite:///{workdir}/coach.sqlite3",
        booking_url="https://practice.test/book",
        flows_dir=ROOT / "flows",
        content_dir=ROOT / "content",
    )
    library = build_library(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    snapshots: list[tracemalloc.Snapshot] = []

    def heap_growth() -> None:
        if not trace:
            return
        if not tracemalloc.is_tracing():  # from the first signal on: start-up is not traced
            tracemalloc.start(8)
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if snapshots:
            top = snapshot.compare_to(snapshots[-1], "traceback")[:5]
            for stat in top:
                frames = " <- ".join(
                    f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[:4]
                )
                print(f"    heap +{stat.size_diff / 1024:7.1f} KiB  {frames}", flush=True)
        snapshots[:] = [snapshot]

    async with running_bot(settings, library):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, heap_growth)
        print("ready", flush=True)
        await stop.wait()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _size_mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / 1024 / 1024


async def consent_all(emu, users) -> None:  # type: ignore[no-untyped-def]
    """Each patient goes through /start and consents (stored from then on)."""

    async def one(user) -> None:  # type: ignore[no-untyped-def]
        for step in (
            ("send", "/start", 2),
            ("press", "Okay, go on", 2),
            ("press", "Yes", 1),
            ("send", "Sam", 1),
            ("press", "Central", 1),
            ("press", "No", 1),
        ):
            kind, what, count = step
            if kind == "send":
                await user.send(what)
            else:
                await user.press(what)
            await user.wait_for_reply(timeout=60, count=count)

    for start in range(0, len(users), 20):
        await asyncio.gather(*(one(u) for u in users[start : start + 20]))


async def soak(args: argparse.Namespace) -> None:
    from tests.tg_emulator import BotApiEmulator

    with tempfile.TemporaryDirectory(prefix="coach-soak-") as tmp:
        workdir = Path(tmp)
        database = workdir / "coach.sqlite3"
        log = workdir / "coach.log"
        async with BotApiEmulator(token=TOKEN) as emu:
            command = [sys.executable, __file__, "--serve", emu.base_url, str(workdir)]
            if args.tracemalloc:
                command.append("--trace")
            child = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
            try:
                assert child.stdout is not None
                line = await asyncio.to_thread(child.stdout.readline)
                assert line.strip() == b"ready", line
                users = [emu.user(10_000 + i, f"P{i}") for i in range(args.patients)]
                await consent_all(emu, users)
                print(
                    f"{args.patients} patients consented; {args.rate} updates/s for "
                    f"{args.minutes} min",
                    flush=True,
                )
                print(
                    "minute  updates  replies  RSS MB  open files  DB+WAL MB  log KB  "
                    "p50 ms  p99 ms",
                    flush=True,
                )
                if args.tracemalloc:
                    child.send_signal(signal.SIGUSR1)
                await drive(emu, users, args, child, database, log)
            finally:
                child.send_signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(child.wait, 30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    print("the bot did not stop within 30 s of SIGTERM: killed", flush=True)
                if args.keep_log is not None and log.exists():
                    shutil.copy(log, args.keep_log)
                if child.stdout is not None:
                    rest = child.stdout.read().decode(errors="replace").strip()
                    if rest:
                        print(rest)


async def drive(emu, users, args, child, database: Path, log: Path) -> None:  # type: ignore[no-untyped-def]
    interval = 1.0 / args.rate
    position = [0] * len(users)
    sent = 0
    started = time.monotonic()
    minute_end = started + 60
    first_rss: float | None = None
    next_at = started
    while time.monotonic() < started + args.minutes * 60:
        user_index = sent % len(users)
        text = SCRIPT[position[user_index] % len(SCRIPT)]
        position[user_index] += 1
        await users[user_index].send(text)
        sent += 1
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= minute_end:
            minute = round((minute_end - started) / 60)
            minute_end += 60
            replies = sum(len(emu.sent(u.chat_id)) for u in users)
            latencies = sorted(
                m.latency
                for u in users
                for m in emu.sent(u.chat_id)
                if m.latency is not None and m.received_at >= minute_end - 120
            )
            rss = _rss_mb(child.pid)
            first_rss = first_rss if first_rss is not None else rss
            p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
            p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
            print(
                f"{minute:6d}  {sent:7d}  {replies:7d}  {rss:6.1f}  "
                f"{_open_files(child.pid):10d}  {_size_mb(database, Path(f'{database}-wal')):9.2f}  "
                f"{log.stat().st_size / 1024:6.0f}  {p50:6.1f}  {p99:6.1f}",
                flush=True,
            )
            if args.tracemalloc:
                child.send_signal(signal.SIGUSR1)
            for user in users:  # the emulator's own memory is not what is measured
                emu._bot_messages.pop(user.chat_id, None)
    if first_rss is not None:
        rss = _rss_mb(child.pid)
        print(
            f"RSS after the first minute {first_rss:.1f} MB, at the end {rss:.1f} MB: "
            f"{(rss - first_rss) / max(args.minutes - 1, 1):+.2f} MB/min",
            flush=True,
        )


def _cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=30.0, help="updates a second, in all")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep-log", type=Path, help="copy the bot's log here at the end")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("workdir", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.workdir, args.trace))
    else:
        asyncio.run(soak(args))


if __name__ == "__main__":
    _cli()
