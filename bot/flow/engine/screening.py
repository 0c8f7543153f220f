"""The crisis seam: the one protocol through which the engine screens and answers a crisis.

``bot.coach.screening.CrisisScreener`` fills it from ``content/crisis.yaml`` and the
learned layer. Everything crosses it as plain values (``Screening``, ``OutboundMessage``).

A message is read once (``Screener.read``: the costly part) and the reading is passed
down with its event; each check the event needs (before the database, then with the
conversation's last readings) decides from it (``Reading.decide``: cheap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.shared.conversation import RecentRisk
from bot.shared.messages import OutboundMessage, Screening

__all__ = ["Reading", "Screener"]


class Reading(Protocol):
    """One text as the crisis screen read it: numbers and rule ids, never the words."""

    def read_by(self, screener: object) -> bool:
        """Whether ``screener`` read it (a reload may swap the screener within an event)."""
        ...

    def decide(
        self,
        recent: Sequence[RecentRisk] = (),
        now: float = 0.0,
        in_exercise: bool = False,
        quiet: bool = False,
        learned_alone: bool = True,
    ) -> Screening:
        """What to do with the text; ``recent`` (already within ``context_seconds`` of
        ``now``) reads it with the last messages; ``in_exercise``: it answers an exercise's
        question; ``quiet``: a check that is not the event's decision (not logged again);
        ``learned_alone=False``: it answers a question whose answers name means (the
        safety plan's safer surroundings), so only a phrase counts."""
        ...


class Screener(Protocol):
    """The crisis check every text passes first (filled by bot.safety)."""

    @property
    def context_seconds(self) -> float:
        """How long an earlier message's reading is kept to be read with the next ones."""
        ...

    def read(self, text: str) -> Reading:
        """Read ``text`` once, for every decision its event needs."""
        ...

    def crisis_messages(
        self,
        category: str | None,
        in_exercise: bool,
        safety_plan_html: str | None = None,
        language: str | None = None,
        unclear: bool = False,
    ) -> list[OutboundMessage]: ...

    def after_crisis(self, language: str | None) -> OutboundMessage | None:
        """What a typed message gets while the exercise waits after a crisis answer, in
        ``language`` with its way-on buttons; None when the language has no words for it
        (the coach's own text then)."""
        ...

    def reoffer(self, category: str, language: str | None = None) -> list[OutboundMessage]:
        """The help lines of ``category`` offered again, gently, after a direct question
        went unanswered (no way-on buttons: the message that came is handled next)."""
        ...

    def question(self, category: str, language: str | None = None) -> OutboundMessage:
        """The direct question ``category`` asks when the coach is unsure, with Yes/No."""
        ...

    def shows_plan(self, category: str) -> bool:
        """Whether the answer for ``category`` shows the patient's own safety plan first."""
        ...

    def plan_message(self, safety_plan_html: str, language: str | None = None) -> OutboundMessage:
        """The patient's plan as shown before the help lines, with a button to open it."""
        ...

    def asking_categories(self) -> list[str]:
        """The categories for worrying but unclear words: the patient is asked first."""
        ...

    def can_ask(self, category: str) -> bool:
        """Whether ``category`` (from a button or a stored hold) still has a question."""
        ...

    def if_yes(self, category: str) -> str:
        """The category whose help a "yes" to the direct question gets."""
        ...

    def if_no(self, category: str, language: str | None = None) -> str:
        """What the coach says to a "no" (HTML-safe)."""
        ...
