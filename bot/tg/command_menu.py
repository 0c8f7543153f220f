"""The commands shown in Telegram's menu, from the flows that are loaded.

Telegram takes at most 100 commands of 1-32 lowercase letters, digits and underscores; a
flow whose command does not fit is left out of the menu (and logged) but still answers.
"""

from __future__ import annotations

import logging
import re

from telegram import BotCommand

from bot.flow.library import FlowLibrary
from bot.tg import texts

__all__ = ["bot_commands"]

log = logging.getLogger(__name__)

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def bot_commands(library: FlowLibrary) -> list[BotCommand]:
    """The commands shown in Telegram's menu: the engine's, then the menu flows' own."""
    engine_commands = texts.command_descriptions(library)
    commands = [BotCommand(name, text) for name, text in engine_commands.items()]
    seen = set(engine_commands)
    for compiled in library.menu():
        name = compiled.flow.start.command
        if not name or name in seen:
            continue
        if not _COMMAND_NAME.match(name):
            log.warning("flow command not shown in Telegram's menu flow=%s", compiled.id)
            continue
        seen.add(name)
        description = (compiled.flow.title or name).strip()[:256] or name
        commands.append(BotCommand(name, description))
    return commands[:100]
