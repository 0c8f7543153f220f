"""Telegram Bot API emulator for end-to-end tests and benchmarks.

Quick use (pytest, same event loop)::

    async with BotApiEmulator(token="123:ABC") as emu:
        app = ApplicationBuilder().token("123:ABC").base_url(emu.base_url).build()
        ...  # start polling (or start_webhook: the emulator then POSTs updates to it)
        user = emu.user(1001, "Test")
        await user.send("/start")                  # queues a message update
        (reply,) = await user.wait_for_reply(timeout=5)
        await user.press("Yes")                    # callback_query for the newest such button
        emu.block(1001); emu.set_rate_limit(30, 1.0); emu.fail_next("sendMessage", drop=True)

Inspect ``emu.sent(chat_id)``, ``emu.calls(method)``, ``emu.callback_answers``,
``emu.commands``, ``emu.unknown_methods``, ``emu.stats()``.  The standalone process and its
HTTP control API are described in ``server.py`` / ``__main__.py``.
"""

from .formatting import EntityParseError, parse_html, parse_markdown_v2, parse_text
from .server import (
    ApiCall,
    ApiError,
    BotApiEmulator,
    BotMessage,
    EmulatedChannel,
    EmulatedGroup,
    EmulatedUser,
    QueuedUpdate,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "EmulatedChannel",
    "EmulatedGroup",
    "EmulatedUser",
    "EntityParseError",
    "QueuedUpdate",
    "parse_html",
    "parse_markdown_v2",
    "parse_text",
]
