"""The few words the Telegram channel says by itself.

Each can be overridden by a key in ``content/system.yaml`` (the key is given with it), so a
clinician can change the wording without touching code. Texts are HTML-safe as written.
"""

from __future__ import annotations

import html
import re

from bot.flow.library import FlowLibrary

DEFAULTS = {
    "system.text_only": (
        "I can only read text messages. Your question is still open: "
        "type your answer in words, or tap one of the buttons."
    ),
    "system.private_only": (
        "I only work in a private chat. Please message me directly; I'm leaving this chat."
    ),
    "system.error": (
        "Sorry, something went wrong on my side. Please send that again in a moment. "
        "If you need help now, type /sos."
    ),
    "system.stale_answer": "That question has passed.",
}

COMMAND_DESCRIPTIONS = {
    "start": "Start the coach",
    "menu": "All the exercises",
    "help": "What I can do",
    "cancel": "Stop the current exercise",
    "sos": "Help lines, right now",
    "book": "Book an appointment",
}


def text(library: FlowLibrary, key: str) -> str:
    """The content text for ``key`` if the practice wrote one, else the default here."""
    if key in library.content:
        return library.content.get(key)
    return DEFAULTS[key]


def plain(html_text: str, limit: int) -> str:
    """A content text for places without HTML (callback answers): tags dropped, cut short."""
    stripped = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return stripped if len(stripped) <= limit else stripped[: limit - 1] + "…"
