"""The words the Telegram channel says by itself, all from ``content/system.yaml``.

Validation requires every key used here (``bot.flow.rules.SYSTEM_KEYS``), so a clinician
can change the wording without touching code and a missing text is caught before start.
"""

from __future__ import annotations

import html
import re

from bot.flow.library import FlowLibrary

#: Commands every patient has, in the order Telegram's menu shows them.
ENGINE_COMMANDS = ("start", "menu", "help", "cancel", "sos", "book")


def command_descriptions(library: FlowLibrary) -> dict[str, str]:
    """The engine's commands with their descriptions for Telegram's command list."""
    return {
        name: plain(library.content.get(f"system.commands.{name}"), 256) for name in ENGINE_COMMANDS
    }


def plain(html_text: str, limit: int) -> str:
    """A content text for places without HTML (callback answers): tags dropped, cut short."""
    stripped = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return stripped if len(stripped) <= limit else stripped[: limit - 1] + "…"
