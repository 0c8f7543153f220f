"""A second `coach run` polling the same bot refuses to run, in one sentence.

Real processes against the Bot API emulator: a second poller on the same database finds
the polling lock taken and exits at once; a second poller on another database (the lock
cannot see it) is caught by Telegram's 409 Conflict, and one of the two stops. Neither
prints a traceback or the token.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.config import ExitCode
from tests.cli.test_startup import COACH, ROOT, _env, _no_token
from tests.databases import suite_database_async
from tests.tg_emulator import BotApiEmulator

SECRET = "424242:AAE-sEcReT-tOkEn-never-printed"


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        COACH, "run",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def _polling(emu: BotApiEmulator, count: int) -> None:
    """Until ``count`` getUpdates calls have been made (the bots are up)."""
    for _ in range(1200):  # a start takes seconds; on a busy machine, many
        if sum(call.method == "getUpdates" for call in emu.call_log) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot never polled")


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


async def test_a_second_poller_on_the_same_database_refuses_at_once(
    tmp_path: Path, suite_database_url: str
) -> None:
    async with BotApiEmulator(token=SECRET) as emu:
        env = _env(tmp_path, TELEGRAM_API_BASE_URL=emu.base_url, DATABASE_URL=suite_database_url)
        first = await _start(env)
        try:
            await _polling(emu, 1)
            second = await _start(env)
            out, _ = await asyncio.wait_for(second.communicate(), 60)
            output = out.decode(errors="replace")
            assert second.returncode == ExitCode.ALREADY_POLLING, output
            assert "already polling Telegram for this bot" in output
            assert "coach run --webhook" in output
            assert "Traceback" not in output
            _no_token(output)
            assert first.returncode is None  # the first goes on serving
        finally:
            code, first_output = await _finish(first)
    assert "coach ready" in first_output


@pytest.mark.postgres
async def test_a_second_poller_elsewhere_is_stopped_by_telegrams_conflict(
    tmp_path: Path,
) -> None:
    async with (
        BotApiEmulator(token=SECRET) as emu,
        suite_database_async(tmp_path, "one.sqlite3") as one,
        suite_database_async(tmp_path, "two.sqlite3") as two,
    ):
        base = {"TELEGRAM_API_BASE_URL": emu.base_url}
        first = await _start(_env(tmp_path, DATABASE_URL=one, **base))
        await _polling(emu, 1)
        second = await _start(_env(tmp_path, DATABASE_URL=two, **base))
        processes = [first, second]
        try:
            waits = [asyncio.ensure_future(p.wait()) for p in processes]
            done, _ = await asyncio.wait(waits, timeout=60, return_when="FIRST_COMPLETED")
            assert done, "neither poller stopped"
        finally:
            results = [await _finish(p) for p in processes]
    stopped = [(code, out) for code, out in results if code == ExitCode.ALREADY_POLLING]
    assert len(stopped) == 1, results
    code, output = stopped[0]
    assert "Telegram answered 409 Conflict" in output and "coach run --webhook" in output
    assert "Traceback" not in output
    for _, out in results:
        _no_token(out)
