"""Webhook mode with its secret token; and no patient's words or names in the logs."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from telegram.ext import Application

from bot.flow.library import FlowLibrary
from bot.tg.runner import running_bot
from tests.tg.conftest import FAST_RETRIES, _settings, agree, say, tap
from tests.tg_emulator import BotApiEmulator

SECRET = "s3cret-Token_1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_takes_updates_with_the_secret_and_refuses_others(
    emu: BotApiEmulator, database_file: str, tg_library: FlowLibrary
) -> None:
    port = _free_port()
    settings = _settings(
        emu.base_url,
        database_file,
        webhook_url=f"http://127.0.0.1:{port}/telegram-hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=SECRET,
    )
    async with running_bot(settings, tg_library, webhook=True, retry_delays=FAST_RETRIES):
        assert emu.webhook["url"] == f"http://127.0.0.1:{port}/telegram-hook"
        assert emu.webhook["secret_token"] == SECRET
        user = emu.user(5001)
        (menu,) = await say(user, "/menu")
        assert menu.text == "What would you like to do?"

        forged = {
            "update_id": 999,
            "message": {
                "message_id": 50,
                "date": 0,
                "chat": user.chat,
                "from": emu.users[5001],
                "text": "/help",
            },
        }
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            status, _ = await emu.post_raw_webhook(body=json.dumps(forged), headers=headers)
            assert status == 403
        status, _ = await emu.post_raw_webhook(
            body=forged, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert status == 200
        await emu.wait_for(lambda: len(user.sent()) == 2)
        assert "/sos" in user.sent()[-1].text


async def test_no_message_text_nor_names_in_the_logs(
    app: Application, emu: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = emu.user(731948265, "Zelda", last_name="Quist", username="zq_private")
    await agree(user)
    await say(user, "/example", count=2)
    await tap(user, "Low")
    await say(user, "3")
    await say(user, "lonely")
    await say(user, "everyone would be better off xylophone")
    await user.send_photo(caption="caption words quokka")
    await user.wait_for_reply()
    edited = await user.send("plain words narwhal")
    await user.wait_for_reply()
    await user.edit(edited.message_id, "edited words okapi")
    await say(user, "/cancel")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "handled" in logged  # the service logs events (ids and counts)
    for private in (
        "xylophone",
        "quokka",
        "narwhal",
        "okapi",
        "Zelda",
        "Quist",
        "zq_private",
        "123456:TEST",
        "731948265",  # the Telegram id: logs name a chat by a keyed digest (bot.tg.log_refs)
    ):
        assert private not in logged
