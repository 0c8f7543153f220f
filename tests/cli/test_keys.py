"""`coach run` and `coach rotate-key` with encryption keys, as an operator runs them: a
wrong or malformed key is one sentence and exit status 7, and no key is ever printed."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.coach.build import build_coach
from bot.config import ExitCode, Settings
from bot.db.crypto import KeyRing, use_keys
from bot.flow.library import FlowLibrary
from tests.cli.test_startup import COACH, ROOT, SECRET, _coach, _env, _no_token, _one_sentence
from tests.db.test_encryption import NAME, WORDS, onboard, write_a_thought
from tests.tg_emulator import BotApiEmulator

OLD = base64.urlsafe_b64encode(os.urandom(32)).decode()
NEW = base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture(autouse=True)
def plain_keys() -> Iterator[None]:
    use_keys(KeyRing())
    yield
    use_keys(KeyRing())


async def seed(settings: Settings, url: str, key: str) -> None:
    """One onboarded patient with a journal entry, stored under ``key``."""
    coach = await build_coach(
        settings.model_copy(update={"database_url": url, "data_encryption_key": SecretStr(key)}),
        "telegram",
    )
    try:
        await onboard(coach.service, "1001", NAME)
        await write_a_thought(coach.service, "1001", WORDS)
    finally:
        await coach.close()


async def rotate_key(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        COACH, "rotate-key", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def no_keys(output: str) -> None:
    assert OLD not in output and NEW not in output, "a key was printed"
    _no_token(output)


@pytest.mark.parametrize("key", [NEW, "", OLD[:-4] + "%%%="], ids=["wrong", "none", "malformed"])
async def test_a_start_whose_key_cannot_open_the_data_is_one_sentence(
    tmp_path: Path, settings: Settings, library: FlowLibrary, key: str
) -> None:
    env = _env(tmp_path, DATA_ENCRYPTION_KEY=key)
    await seed(settings, env["DATABASE_URL"], OLD)
    async with BotApiEmulator(token=SECRET) as emu:
        code, output = await _coach({**env, "TELEGRAM_API_BASE_URL": emu.base_url})
    no_keys(output)
    assert code == ExitCode.ENCRYPTION_KEY, output
    assert "DATA_ENCRYPTION_KEY" in output
    _one_sentence(output)


async def test_rotate_key_moves_the_data_then_the_old_key_can_go(
    tmp_path: Path, settings: Settings, library: FlowLibrary
) -> None:
    env = _env(tmp_path)
    await seed(settings, env["DATABASE_URL"], OLD)
    both = {**env, "DATA_ENCRYPTION_KEY": NEW, "DATA_ENCRYPTION_KEY_OLD": OLD}

    code, output = await rotate_key(both)  # no coach has run with the new key yet
    no_keys(output)
    assert code == ExitCode.ENCRYPTION_KEY and "--bot-stopped" in output, output
    _one_sentence(output)

    code, output = await rotate_key(both, "--bot-stopped", "--batch", "1")
    no_keys(output)
    assert code == 0, output
    assert "Re-encrypted" in output and "DATA_ENCRYPTION_KEY_OLD can be removed" in output
    assert "Traceback" not in output

    stop = asyncio.Event()
    async with BotApiEmulator(token=SECRET) as emu:
        env_new = {**env, "DATA_ENCRYPTION_KEY": NEW, "TELEGRAM_API_BASE_URL": emu.base_url}
        run = asyncio.create_task(_coach(env_new, stop=stop))
        for _ in range(600):  # until it polls: it started with the new key alone
            if any(call.method == "getUpdates" for call in emu.call_log) or run.done():
                break
            await asyncio.sleep(0.1)
        stop.set()
        code, output = await run
    no_keys(output)
    assert "coach ready" in output and "cannot open" not in output, output


def test_the_keys_are_redacted_from_whatever_is_logged(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even a log line that held a key by accident has it replaced (like the token)."""
    import importlib
    import logging

    from bot.cli import flows

    cli = importlib.import_module("bot.cli.main")

    monkeypatch.setenv("DATA_ENCRYPTION_KEY", NEW)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY_OLD", f"{OLD}, {NEW}")

    def leaky(_args: object, _settings: Settings) -> int:
        logging.getLogger("bot").error("oops %s and %s", NEW, OLD)
        return 0

    monkeypatch.setattr(flows, "validate", leaky)
    root = logging.getLogger()
    formatters = {handler: handler.formatter for handler in root.handlers}
    try:
        assert cli.main(["validate"]) == 0
    finally:
        for handler in root.handlers[:]:
            if handler in formatters:
                handler.setFormatter(formatters[handler])
            else:
                root.removeHandler(handler)
    output = capsys.readouterr()
    written = output.out + output.err + caplog.text
    assert "oops <redacted> and <redacted>" in written
    no_keys(written)
