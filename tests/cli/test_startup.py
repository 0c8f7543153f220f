"""Start-up failures of `coach run`: one sentence each, a distinct exit status, no traceback,
and the bot token nowhere in the output (PTB's InvalidToken message carries it).

Each case runs the real command in a subprocess against loopback: the Bot API emulator
with another token (Telegram rejects ours), a closed port, a database that cannot be
opened, folders that are not there, malformed settings.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.config import ExitCode
from tests.tg_emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]
SECRET = "424242:AAE-sEcReT-tOkEn-never-printed"  # what an operator would paste from BotFather
COACH = str(Path(sys.executable).parent / "coach")  # the installed command
TOKEN_PARTS = (SECRET, SECRET.split(":", 1)[1])


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/bot"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(
        PATH=os.environ.get("PATH", ""),
        TELEGRAM_BOT_TOKEN=SECRET,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/data/coach.sqlite3",
        BOOKING_URL="https://practice.test/book",
        FLOWS_DIR=str(ROOT / "flows"),
        CONTENT_DIR=str(ROOT / "content"),
    )
    env.update(settings)
    return env


async def _coach(
    env: dict[str, str], *args: str, cwd: Path = ROOT, stop: asyncio.Event | None = None
) -> tuple[int, str]:
    """Run `coach run ARGS`; with ``stop``, send SIGTERM once it is set."""
    process = await asyncio.create_subprocess_exec(
        COACH, "run", *args,
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    if stop is not None:
        output = asyncio.ensure_future(process.communicate())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({output, stopped}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        done, _ = await asyncio.wait({output}, timeout=5)
        if not done:  # PTB finishes its polling back-off first: what it wrote is enough
            process.kill()
        out, _ = await asyncio.wait_for(output, 60)
    else:
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def _no_token(output: str) -> None:
    for part in TOKEN_PARTS:
        assert part not in output, "the token was printed"


def _one_sentence(output: str) -> None:
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if line.strip()]) <= 2, output


async def test_a_token_the_bot_api_rejects_is_one_sentence_and_never_printed(
    tmp_path: Path,
) -> None:
    async with BotApiEmulator(token="111:the-real-token-of-another-bot") as emu:
        code, output = await _coach(_env(tmp_path, TELEGRAM_API_BASE_URL=emu.base_url))
    _no_token(output)
    assert code == ExitCode.TOKEN_REJECTED, output
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output
    _one_sentence(output)


async def test_an_unreachable_bot_api_is_one_sentence(tmp_path: Path) -> None:
    code, output = await _coach(_env(tmp_path, TELEGRAM_API_BASE_URL=_closed_port()))
    _no_token(output)
    assert code == ExitCode.BOT_API_UNREACHABLE, output
    assert "could not be reached" in output
    _one_sentence(output)


@pytest.mark.parametrize("verbose", [False, True])
async def test_the_bot_api_going_away_while_running_never_prints_the_token(
    tmp_path: Path, verbose: bool, suite_database_url: str
) -> None:
    env = _env(tmp_path, DATABASE_URL=suite_database_url)
    stop = asyncio.Event()
    async with BotApiEmulator(token=SECRET) as emu:
        env["TELEGRAM_API_BASE_URL"] = emu.base_url
        run = asyncio.create_task(_coach(env, *(["--verbose"] if verbose else []), stop=stop))
        for _ in range(300):  # until it polls
            if any(call.method == "getUpdates" for call in emu.call_log):
                break
            await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # the Bot API is gone: polling fails and is retried
    stop.set()
    code, output = await run
    assert "NetworkError" in output  # it did fail while the Bot API was away
    _no_token(output)
    assert "coach ready" in output


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///{tmp}/not-a-folder/coach.sqlite3",
        "postgresql+asyncpg://coach@127.0.0.1:{port}/coach",
    ],
)
async def test_a_database_that_cannot_be_opened_is_one_sentence(tmp_path: Path, url: str) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    async with BotApiEmulator(token=SECRET) as emu:
        port = _closed_port().split(":")[2].split("/")[0]
        env = _env(
            tmp_path,
            TELEGRAM_API_BASE_URL=emu.base_url,
            DATABASE_URL=url.format(tmp=tmp_path, port=port),
        )
        code, output = await _coach(env)
    _no_token(output)
    assert code == ExitCode.DATABASE, output
    assert "could not be opened and written" in output
    _one_sentence(output)


async def test_run_from_another_folder_says_where_the_flows_are(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["FLOWS_DIR"], env["CONTENT_DIR"]
    code, output = await _coach(env, cwd=tmp_path)
    assert code == ExitCode.FILES_NOT_FOUND, output
    assert "'flows' (FLOWS_DIR) was not found" in output
    _one_sentence(output)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("ADMIN_IDS", "12345,abc", "ADMIN_IDS: 'abc' is not a Telegram user id"),
        ("ADMIN_IDS", "1;2", "ADMIN_IDS: '1;2' is not a Telegram user id"),
        ("TELEGRAM_API_BASE_URL", "", "TELEGRAM_API_BASE_URL: is empty"),
    ],
)
async def test_malformed_settings_are_one_sentence(
    tmp_path: Path, name: str, value: str, said: str
) -> None:
    code, output = await _coach(_env(tmp_path, **{name: value}))
    _no_token(output)
    assert code == ExitCode.SETTINGS, output
    assert said in output
    assert "Traceback" not in output and len(output.splitlines()) <= 3, output


async def test_admin_ids_may_be_written_with_commas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADMIN_IDS", "12345, 678")
    assert load_settings().admin_ids == [12345, 678]
    monkeypatch.setenv("ADMIN_IDS", "[12345]")
    assert load_settings().admin_ids == [12345]
    monkeypatch.setenv("ADMIN_IDS", "")
    assert load_settings().admin_ids == []


async def test_the_example_booking_url_is_a_warning(tmp_path: Path) -> None:
    env = _env(
        tmp_path, BOOKING_URL="https://example.org/book", TELEGRAM_API_BASE_URL=_closed_port()
    )
    code, output = await _coach(env)
    assert code == ExitCode.BOT_API_UNREACHABLE
    assert "Warning: BOOKING_URL is still the example" in output


def test_the_redacting_formatter_hides_the_token_in_messages_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from bot.cli.logs import redact

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        redact([SECRET])
        try:
            raise RuntimeError(f"The token `{SECRET}` was rejected by the server.")
        except RuntimeError:
            logging.getLogger("telegram.ext").error("failed %s", SECRET, exc_info=True)
    finally:
        root.removeHandler(handler)
        logging.captureWarnings(False)
    err = capsys.readouterr().err
    assert "was rejected" in err and "<redacted>" in err
    _no_token(err)


@pytest.mark.sqlite_only
async def test_a_read_only_database_file_is_one_sentence(tmp_path: Path) -> None:
    from bot.db.migrate import upgrade_to_head
    from bot.db.session import Database
    from tests.coach.test_database_faults import _ReadOnly

    env = _env(tmp_path)
    database = Database(env["DATABASE_URL"])
    await upgrade_to_head(database)  # an up-to-date schema: the start writes nothing itself
    await database.dispose()
    async with BotApiEmulator(token=SECRET) as emu:
        env["TELEGRAM_API_BASE_URL"] = emu.base_url
        with _ReadOnly(tmp_path / "data"):
            code, output = await _coach(env)
    assert code == ExitCode.DATABASE, output
    assert "could not be opened and written" in output
    _one_sentence(output)
