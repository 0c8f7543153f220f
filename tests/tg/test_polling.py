"""Polling never leaves a live process that serves nobody: a token revoked while the bot
runs ends `coach run` with status 4 and one sentence; a hung getUpdates times out in
seconds and polling goes on."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from telegram.ext import Application

from bot.config import ExitCode
from tests.tg.conftest import TOKEN, say
from tests.tg.test_crash import _env, _start
from tests.tg_emulator import BotApiEmulator


async def test_a_token_revoked_while_polling_exits_with_status_4_in_one_sentence(
    tmp_path: Path,
) -> None:
    log = tmp_path / "coach.log"
    async with BotApiEmulator(token=TOKEN) as emu:
        env = _env(f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3", emu.base_url)
        process = await _start(env, log, emu)
        try:
            (help_text,) = await say(emu.user(8001), "/help", timeout=20)
            assert "/sos" in help_text.text
            emu.token = "999:revoked"  # every call now answers 401 Unauthorized
            revoked = time.monotonic()
            code = await asyncio.wait_for(process.wait(), 30)
            took = time.monotonic() - revoked
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
                await process.wait()
    output = log.read_text(errors="replace")
    assert code == ExitCode.TOKEN_REJECTED, output
    assert took < 15
    assert "Traceback" not in output and TOKEN not in output and TOKEN.split(":")[1] not in output
    last = output.strip().splitlines()[-1]
    assert "TELEGRAM_BOT_TOKEN" in last and "@BotFather" in last


async def test_a_hung_get_updates_times_out_in_seconds_and_polling_goes_on(
    app: Application, emu: BotApiEmulator
) -> None:
    await say(emu.user(8002), "/help")
    emu.hang("getUpdates", 60)
    polls = len(emu.calls("getUpdates"))
    started = time.monotonic()
    async with asyncio.timeout(15):  # the emulator notifies on answers, and none come
        while len(emu.calls("getUpdates")) < polls + 2:
            await asyncio.sleep(0.1)
    assert time.monotonic() - started < 12  # each hung poll given up on within seconds
    emu.hang("getUpdates", 0)
    (help_text,) = await say(emu.user(8002), "/help", timeout=15)
    assert "/sos" in help_text.text
