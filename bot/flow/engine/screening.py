"""The crisis seam: the one protocol through which the engine screens and answers a crisis.

``bot.coach.screening.CrisisScreener`` fills it from ``content/crisis.yaml``.
"""

from __future__ import annotations

from typing import Protocol

from bot.shared.messages import OutboundMessage, SafetyEvent

__all__ = ["Screener"]


class Screener(Protocol):
    """The crisis check every text passes first (filled by bot.safety)."""

    def screen(self, text: str) -> SafetyEvent | None: ...

    def crisis_messages(
        self, category: str | None, in_exercise: bool, safety_plan_html: str | None = None
    ) -> list[OutboundMessage]: ...

    def asking_categories(self) -> list[str]:
        """The categories for worrying but unclear words: the patient is asked first."""
        ...

    def asks_first(self, category: str) -> bool: ...

    def if_yes(self, category: str) -> str:
        """The category whose help a "yes" to the direct question gets."""
        ...

    def if_no(self, category: str) -> str:
        """What the coach says to a "no" (HTML-safe)."""
        ...
