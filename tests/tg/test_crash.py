"""kill -9 in a burst: the real `coach run` process is killed while patients answer the
check-in as fast as they can, then started again. Every patient must end looking at the
question the bot is waiting for: replies committed but never sent come from the outbox.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

from bot.db import outbox, store
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from tests.tg.conftest import TOKEN
from tests.tg.test_outbox import MOOD, consented
from tests.tg_emulator import BotApiEmulator, EmulatedUser

ROOT = Path(__file__).resolve().parents[2]
COACH = str(Path(sys.executable).parent / "coach")
PATIENTS = 12
STEPS = ("mood", "anxiety", "craving", "sleep", "pain", "kratom")


def _env(database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        BOOKING_URL="https://practice.test/book",
        FLOWS_DIR=str(ROOT / "flows"),
        CONTENT_DIR=str(ROOT / "content"),
    )
    return env


async def _start(env: dict[str, str], log: Path, emu: BotApiEmulator) -> asyncio.subprocess.Process:
    polls = len(emu.calls("getUpdates"))
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            COACH, "run", cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    # Start-up (flows, the crisis model) took over a minute on the shared 2-core machine.
    await emu.wait_for(lambda: len(emu.calls("getUpdates")) > polls, timeout=180)
    return process


async def _answer_fast(user: EmulatedUser, answers: list[str]) -> None:
    for answer in answers:
        await user.send(answer)
        await asyncio.sleep(random.uniform(0.0, 0.15))


async def test_every_patient_ends_at_the_question_the_bot_waits_for_after_kill_9(
    tmp_path: Path, tg_library: FlowLibrary
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    log = tmp_path / "coach.log"
    questions = {s: tg_library.content.get(f"checkin.ask_{s}")[:40] for s in STEPS}
    async with BotApiEmulator(token=TOKEN) as emu:
        env = _env(database_url, emu.base_url)
        process = await _start(env, log, emu)
        users = [emu.user(7000 + i) for i in range(PATIENTS)]
        try:
            await asyncio.gather(*(consented(u) for u in users))
            for user in users:
                await user.send("/checkin")
            for user in users:
                (mood,) = await user.wait_for_reply(timeout=20)
                assert MOOD in mood.text
            burst = [
                asyncio.create_task(_answer_fast(u, [str(random.randint(3, 8)) for _ in range(4)]))
                for u in users
            ]
            await asyncio.sleep(0.4)  # mid-burst
            process.send_signal(signal.SIGKILL)
            await process.wait()
            await asyncio.gather(*burst)
            left = Database(database_url)
            unsent = await left.transaction(lambda c: outbox.pending_count(c))
            await left.dispose()
            print(f"rows left unsent by the killed process: {unsent}")
            process = await _start(env, log, emu)

            database = Database(database_url)
            try:

                async def settled() -> bool:
                    left = await database.transaction(lambda c: outbox.pending_count(c))
                    return left == 0 and not emu.pending_updates

                await emu.wait_for(lambda: not emu.pending_updates, timeout=60)
                async with asyncio.timeout(60):
                    while not await settled():
                        await asyncio.sleep(0.2)
                await asyncio.sleep(0.5)
                for user in users:
                    loaded = await database.transaction(
                        lambda c, u=user: store.load_conversation(
                            c, channel="telegram", external_id=str(u.chat_id), create=False
                        )
                    )
                    assert loaded is not None and loaded.state.current is not None
                    step = loaded.state.current.step
                    last = user.sent()[-1]
                    assert questions[step] in (last.text or ""), (user.chat_id, step, last.text)
            finally:
                await database.dispose()
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
    output = log.read_text(errors="replace")
    assert "Traceback" not in output
    assert "outbox rows resent" in output or "duplicate" in output
