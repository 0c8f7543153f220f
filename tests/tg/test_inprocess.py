"""The Telegram channel in-process: updates fed to PTB's Application, Bot API calls recorded.

The same application ``coach run`` builds, with no HTTP: quick checks of what the channel
does with each kind of update (the emulator tests in this folder cover the network).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.flow.library import FlowLibrary
from tests.tg.conftest import _settings
from tests.tg.inprocess import InProcessBot, inprocess_bot

ADMIN = 4242


@pytest.fixture
async def bot(suite_database_url: str, tg_library: FlowLibrary) -> AsyncIterator[InProcessBot]:
    settings: Settings = _settings("http://127.0.0.1:1/bot", suite_database_url, admin_ids=[ADMIN])
    async with inprocess_bot(settings, tg_library) as running:
        yield running


async def test_the_menu_comes_with_its_buttons_and_the_commands_are_registered(
    bot: InProcessBot, tg_library: FlowLibrary
) -> None:
    (menu,) = await bot.say(7001, "/menu")
    assert menu["text"] == "What would you like to do?" and menu["parse_mode"] == "HTML"
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [tg_library.content.get(c.flow.start.menu) for c in tg_library.menu()]
    (commands,) = bot.calls("setMyCommands")
    assert [c["command"] for c in commands["commands"]][:3] == ["start", "menu", "help"]


async def test_a_tapped_button_is_acknowledged_and_its_keyboard_marked(bot: InProcessBot) -> None:
    (menu,) = await bot.say(7002, "/menu")
    first = menu["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert await bot.tap(7002, first)  # the chosen flow's first messages
    assert len(bot.calls("answerCallbackQuery")) == 1
    (marked,) = bot.calls("editMessageReplyMarkup")
    assert marked["chat_id"] == 7002


async def test_a_sticker_gets_the_text_only_line(
    bot: InProcessBot, tg_library: FlowLibrary
) -> None:
    chat = {"id": 7003, "type": "private", "first_name": "Pat"}
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await bot.feed({"message": {"message_id": 1, "date": 0, "chat": chat, "sticker": sticker}})
    (reply,) = bot.request.sent(7003)
    assert reply["text"] == tg_library.content.get("system.text_only")


async def test_a_group_is_told_once_and_left(bot: InProcessBot, tg_library: FlowLibrary) -> None:
    await bot.say(-7004, "hello", chat_type="group")
    await bot.say(-7004, "hello again", chat_type="group")
    sent = bot.request.sent(-7004)
    assert [m["text"] for m in sent] == [tg_library.content.get("system.private_only")]
    assert [c["chat_id"] for c in bot.calls("leaveChat")] == [-7004]


async def test_reload_is_answered_for_admins_and_unknown_to_everyone_else(
    bot: InProcessBot, tg_library: FlowLibrary
) -> None:
    (unknown,) = await bot.say(7005, "/reload")
    assert unknown["text"] == tg_library.content.get("system.unknown_command")
    (reloaded,) = await bot.say(ADMIN, "/reload")
    assert reloaded["text"].startswith("Reloaded ")


async def test_a_text_field_that_is_not_a_string_gets_the_text_only_line(
    bot: InProcessBot, tg_library: FlowLibrary
) -> None:
    chat = {"id": 7006, "type": "private", "first_name": "Pat"}
    await bot.feed({"message": {"message_id": 1, "date": 0, "chat": chat, "text": 12345}})
    (reply,) = bot.request.sent(7006)
    assert reply["text"] == tg_library.content.get("system.text_only")
