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
    """The commands for Telegram's command list, with their descriptions.

    The engine's own come first; then every other command written under ``commands:`` in
    content/system.yaml (the skills, /reminders, /export, /delete), in the order written
    there, so the practice chooses what patients see beside the message box. One whose
    flow did not load (or a misspelt name) is left out rather than offered to no effect.
    """
    prefix = "system.commands."
    written = [
        key.removeprefix(prefix)
        for key in library.content.texts
        if key.startswith(prefix)
        and key.removeprefix(prefix) not in ENGINE_COMMANDS
        and library.answers_command(key.removeprefix(prefix))
    ]
    return {
        name: plain(library.content.get(prefix + name), 256)
        for name in (*ENGINE_COMMANDS, *written)
    }


def plain(html_text: str, limit: int) -> str:
    """A content text for places without HTML (callback answers): tags dropped, cut short."""
    stripped = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return stripped if len(stripped) <= limit else stripped[: limit - 1] + "…"
