"""Hostile or broken input at the edge: a poison update in getUpdates is skipped and
counted, never looped on nor logged; no payload in the logs at DEBUG (``--verbose``)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.ext import Application

from bot.tg.payloads import keep_payloads_out_of_logs
from bot.tg.runner import _WATCH_KEY
from tests.tg.conftest import TOKEN, say, tap
from tests.tg_emulator import BotApiEmulator

WORDS = "my private words about my brother"
NAME = "Quentinella"


async def test_a_poison_update_is_skipped_counted_and_never_logged(
    app: Application, emu: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keep_payloads_out_of_logs()
    user = emu.user(8101)
    poison = await emu.queue_update(
        "message",
        {"message_id": 1, "date": 1, "chat": WORDS, "from": {"id": "x"}, "text": WORDS},
        chat_id=user.chat_id,
    )
    polls = len(emu.calls("getUpdates"))
    (help_text,) = await say(user, "/help")  # the update after it is answered
    assert "/sos" in help_text.text
    await asyncio.sleep(1.0)
    assert len(emu.calls("getUpdates")) - polls < 10  # no loop on the same batch
    assert app.bot_data[_WATCH_KEY].poison_updates == 1
    assert not any(u.update_id == poison.update_id for u in emu.pending_updates)
    said = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert f"skipped update={poison.update_id}" in said
    assert WORDS not in said


async def test_no_words_names_or_token_in_debug_logs(
    app: Application, emu: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keep_payloads_out_of_logs()  # on caplog's handler too, as `coach run --verbose` has it
    user = emu.user(8102, NAME)
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")
    await say(user, NAME)
    await say(user, WORDS)
    await user.send(WORDS)
    await asyncio.sleep(0.3)
    formatter = logging.Formatter("%(message)s")
    said = "\n".join(formatter.format(r) for r in caplog.records)
    assert said  # DEBUG was on
    for secret in (WORDS, NAME, TOKEN, TOKEN.split(":")[1]):
        assert secret not in said, secret
