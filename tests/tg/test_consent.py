"""Over HTTP, as a patient in Telegram: a "no" at /start leaves no row with the chat's id."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from telegram.ext import Application

from tests.tg.conftest import say, settle, tap
from tests.tg_emulator import BotApiEmulator

CHAT = 918273645


def _cells(path: Path) -> list[str]:
    """Every value of every table in the SQLite file, as text."""
    with sqlite3.connect(path) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return [
            str(value)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')
            for value in row
        ]


async def test_declining_then_writing_leaves_no_row_with_the_chat_id(
    app: Application, emu: BotApiEmulator, tmp_path: Path
) -> None:
    user = emu.user(CHAT, "Robin")
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    (declined,) = await tap(user, "No")
    assert "I won't keep your answers" in declined.text and "2 hours" in declined.text
    await say(user, "My sister is staying with me this week")
    (needs_start,) = await say(user, "/checkin")
    assert "/start" in needs_start.text
    await say(user, "/export")
    await user.send_sticker()
    await user.wait_for_reply()
    await settle(emu)

    database = tmp_path / "coach.sqlite3"
    cells = _cells(database)
    assert not [c for c in cells if str(CHAT) in c or "sister" in c]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("coach.sqlite3*"))
    assert str(CHAT).encode() not in raw and b"sister" not in raw
