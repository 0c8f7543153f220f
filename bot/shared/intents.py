"""What a patient's free words outside an exercise ask for: plain values both sides share.

``bot.safety.intents`` reads ``content/intents.yaml`` into these; the engine
(``bot.flow.engine.intents``) turns one into a reply with the fitting exercises first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Intent", "IntentOffer", "IntentReader"]


@dataclass(frozen=True)
class IntentOffer:
    """One exercise offered for an intent: the flow to open and its button's words."""

    flow_id: str
    button: str


@dataclass(frozen=True)
class Intent:
    """What the patient seems to need (``id``), the coach's answer and what it offers
    (nothing for a greeting or thanks: the answer then comes with the menu alone)."""

    id: str
    reply: str
    offers: tuple[IntentOffer, ...]


class IntentReader(Protocol):
    """The engine's seam: what free words outside an exercise ask for, if anything."""

    def read(self, text: str) -> Intent | None: ...

    def by_id(self, intent_id: str) -> Intent | None:
        """The intent of this id (kept in a conversation, never the words), if it still exists."""
        ...
