"""The real bot, polling the Bot API emulator over HTTP, with its own database per test (a
SQLite file, or PostgreSQL in the suite's PostgreSQL run)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.coach.build import build_library
from bot.config import Settings
from bot.db import store
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from bot.tg.runner import running_bot
from tests.tg_emulator import BotApiEmulator, BotMessage, EmulatedUser

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST"
FAST_RETRIES = (0.05, 0.1)


@pytest.fixture(scope="session")
def tg_library() -> FlowLibrary:
    return build_library(_settings("http://127.0.0.1:1/bot", "sqlite+aiosqlite://"))


def _settings(base_url: str, database_url: str, **extra: Any) -> Settings:
    return Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base_url=base_url,
        database_url=database_url,
        booking_url="https://example.org/book",
        flows_dir=ROOT / "flows",
        content_dir=ROOT / "content",
        **extra,
    )


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def database_file(suite_database_url: str) -> str:
    """The bot's database (the name is older than the PostgreSQL run: any kind)."""
    return suite_database_url


@pytest.fixture
def tg_settings(emu: BotApiEmulator, database_file: str) -> Settings:
    return _settings(emu.base_url, database_file)


@pytest.fixture
async def app(tg_settings: Settings, tg_library: FlowLibrary) -> AsyncIterator[Application]:
    async with running_bot(tg_settings, tg_library, retry_delays=FAST_RETRIES) as application:
        yield application


class Patients:
    """Reads what the bot stored, through the store functions, from the same database."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)

    async def find(self, chat_id: int) -> store.PatientRecord | None:
        return await self.database.transaction(
            lambda c: store.find_patient(c, channel="telegram", external_id=str(chat_id))
        )

    async def journal(self, chat_id: int) -> list[store.JournalItem]:
        patient = await self.find(chat_id)
        assert patient is not None
        return await self.database.transaction(lambda c: store.journal(c, patient_id=patient.id))


@pytest.fixture
async def patients(database_file: str) -> AsyncIterator[Patients]:
    reader = Patients(database_file)
    yield reader
    await reader.database.dispose()


async def say(
    user: EmulatedUser, text: str, count: int = 1, timeout: float = 5
) -> list[BotMessage]:
    """The patient types ``text``; the bot's ``count`` replies."""
    await user.send(text)
    return await user.wait_for_reply(timeout=timeout, count=count)


async def tap(
    user: EmulatedUser, label: str, count: int = 1, timeout: float = 5
) -> list[BotMessage]:
    """The patient taps the newest button ``label``; the bot's ``count`` replies."""
    await user.press(label)
    return await user.wait_for_reply(timeout=timeout, count=count)


async def settle(emu: BotApiEmulator, seconds: float = 0.3) -> None:
    """Let the bot finish what it is doing (no update of ours is pending any more)."""
    await emu.wait_for(lambda: not emu.pending_updates, timeout=5)
    await asyncio.sleep(seconds)


async def eventually(check: Callable[[], Any], timeout: float = 5) -> Any:
    """Poll an async ``check`` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


async def agree(user: EmulatedUser) -> None:
    """/start, "Okay, go on", "Yes" to storing answers, then /cancel the rest of onboarding:
    from here on the chat is stored, as a patient who agreed at /start."""
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")
    await say(user, "/cancel")
