"""The terminal channel, driven by piped standard input as a clinician's script would."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.authoring.testing import plain
from bot.coach.service import CoachService
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound
from bot.sim import TerminalChat, run_chat

ROOT = Path(__file__).resolve().parent.parent


def test_chat_with_piped_input(suite_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": suite_database_url}
    script = "2\n9\n1\nDone ✓\nI can't cope\n90\nNo\n10pm\nChicago\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--flow", "example", "--patient", "ana"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "coach> How are you arriving today?" in out
    assert "[1] Fairly calm" in out and "you> 2" in out
    assert "(pause 4s)" in out  # breathing cues are shown, not waited for, when piped
    assert "✓ Hungry" in out
    assert "It's saved in your journal" in out
    assert "Traceback" not in done.stderr


def _coach(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_ends_the_chat_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sim.sqlite3"}
    chat = _coach("chat", env=env)
    assert chat.stdout is not None
    for line in chat.stdout:  # the menu is shown: the chat waits for a line
        if "[1]" in line:
            break
    chat.send_signal(signal.SIGINT)  # stdin stays open: the reader is blocked on it
    started = time.monotonic()
    try:
        chat.wait(timeout=10)  # standard input still open: nothing else ends it
    finally:
        chat.kill()
    assert chat.stderr is not None
    err = chat.stderr.read()
    assert time.monotonic() - started < 10
    assert chat.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_a_reader_that_stops_reading_ends_the_chat_quietly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sim.sqlite3",
        # With a key: no "stored unencrypted" warning, so stderr holds only what the pipe did.
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"yes /menu | head -200 | {sys.executable} -m bot chat | head -3; "
            'echo "status=${PIPESTATUS[2]}"',
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.count("\n") == 4 and "status=0" in done.stdout, done.stdout
    assert done.stderr == "", done.stderr  # no BrokenPipeError, no traceback


@pytest.fixture
async def terminal(tmp_path: Path, engine: Engine) -> AsyncIterator[CoachService]:
    """The service as `coach chat` builds it: a SQLite file, stored as if agreed."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3")
    await upgrade_to_head(database)
    yield CoachService(engine, database, "terminal", assume_consent=True)
    await database.dispose()


async def test_a_typed_number_answers_only_the_latest_messages_buttons(
    terminal: CoachService,
) -> None:
    out = io.StringIO()
    chat = TerminalChat(terminal, "ana", out, pauses=False)
    await chat.send(Inbound.message("/example"))
    assert "[1] Fairly calm" in out.getvalue()
    await chat.answer("1")  # Fairly calm: a button of the latest message
    assert out.getvalue().rstrip().endswith("A sentence is enough.")  # a question, no buttons
    await chat.answer("1")  # so "1" is the typed thought, not "Fairly calm" again
    shown = out.getvalue()
    assert "That question has passed" not in shown
    assert shown.rstrip().endswith("from 0 to 100 (%)?")
    loaded = await terminal.database.transaction(
        lambda c: store.load_conversation(c, channel="terminal", external_id="ana", create=False)
    )
    assert loaded is not None and loaded.state.current is not None
    assert loaded.state.current.variables["thought"] == "1"


async def test_typing_during_timed_cues_stops_them_and_shows_the_question(
    terminal: CoachService,
) -> None:
    service = terminal
    read, write = os.pipe()
    out = io.StringIO()
    with os.fdopen(read, "r") as stdin, os.fdopen(write, "w") as typed:
        chat = asyncio.ensure_future(
            run_chat(
                service, patient="cue", flow_id="paced_breathing", stdin=stdin, out=out, pauses=True
            )
        )
        await asyncio.sleep(1.0)
        typed.write("Start\n")
        typed.flush()
        await asyncio.sleep(2.0)  # inside the first 4-second breath
        typed.write("I'm back\n")
        typed.flush()
        await asyncio.sleep(1.0)
        typed.close()
        await asyncio.wait_for(chat, timeout=10)
    shown = out.getvalue()
    interrupted = service.engine.library.content.get("system.paced_interrupted")
    assert "(cues stopped)" in shown
    assert plain(interrupted) in shown
    assert shown.rindex("(cues stopped)") < shown.rindex(plain(interrupted)[:20])
    breathe_out = plain(service.engine.library.content.get("paced_breathing.breathe_out"))
    assert breathe_out not in shown  # the rest of the cues never came
