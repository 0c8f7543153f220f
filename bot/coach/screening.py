"""Connect the crisis screen (rules, learned layer, decision) to the engine's seam.

The engine speaks in plain values (``Screening``, ``OutboundMessage``); this adapter turns
the screen's :class:`~bot.safety.decision.Decision` into them, picks the answer's language
and logs each decision by layer, category, rule id or score band, never the words. A text
is read once (``read``) and every decision its event needs is taken from that reading.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import metrics
from bot.safety.config import CrisisConfig
from bot.safety.decision import Action, Decision, RecentSignal
from bot.safety.response import (
    after_crisis_message,
    crisis_messages,
    reoffer_messages,
    safety_plan_message,
    shows_plan,
    unsure_question,
)
from bot.safety.screen import CrisisScreen, Reading
from bot.shared.conversation import RecentRisk
from bot.shared.messages import ASKED_PREFIX, OutboundMessage, SafetyEvent, Screening

__all__ = ["CrisisScreener", "ScreenedText"]

log = logging.getLogger(__name__)

#: A reading this low is not worth keeping for the next messages.
_KEEP_AT = 0.05


@dataclass
class CrisisScreener:
    """The engine's Screener, backed by ``content/`` (loaded once, at start)."""

    screen_: CrisisScreen
    booking_url: str | None = None

    @classmethod
    def from_content(cls, content_dir: Path, booking_url: str | None) -> CrisisScreener:
        return cls(CrisisScreen.from_content(content_dir), booking_url)

    @property
    def config(self) -> CrisisConfig:
        return self.screen_.config

    @property
    def context_seconds(self) -> float:
        learned = self.config.learned
        return learned.context_minutes * 60 if learned else 0.0

    def read(self, text: str) -> ScreenedText:
        """Read ``text`` once (the engine passes the reading down with its event)."""
        return ScreenedText(self, self.screen_.read(text), len(text.split()))

    def decide(
        self,
        read: ScreenedText,
        recent: Sequence[RecentRisk] = (),
        now: float = 0.0,
        in_exercise: bool = False,
        quiet: bool = False,
        learned_alone: bool = True,
    ) -> Screening:
        """The engine's Screening of ``read``; ``recent`` is within the window already."""
        signals = [RecentSignal((now - r.at) / 60, r.probability, r.category) for r in recent]
        decision = self.screen_.decide(
            read.reading, signals, in_exercise=in_exercise, learned_alone=learned_alone
        )
        prediction = decision.prediction
        words = read.typed_words
        if decision.action is Action.NONE:
            if prediction.crisis_probability < _KEEP_AT:
                return Screening(language=decision.language, words=words)
            return Screening(
                language=decision.language,
                words=words,
                probability=prediction.crisis_probability,
                category=prediction.category,
            )
        if not quiet:
            metrics.count_crisis_decision(decision.log_fields())
            fields = decision.log_fields().items()
            log.info("crisis screen %s", " ".join(f"{k}={v}" for k, v in fields))
        return Screening(
            event=_event(decision, self.screen_.asks_first),
            asks=decision.action is Action.ASK,
            language=decision.language,
            words=words,
            probability=prediction.crisis_probability,
            category=prediction.category,
        )

    def crisis_messages(
        self,
        category: str | None,
        in_exercise: bool,
        safety_plan_html: str | None = None,
        language: str | None = None,
        unclear: bool = False,
    ) -> list[OutboundMessage]:
        return crisis_messages(
            category,
            self.config.in_language(language),
            self.booking_url,
            safety_plan_html=safety_plan_html,
            in_exercise=in_exercise,
            unclear=unclear,
        )

    def after_crisis(self, language: str | None) -> OutboundMessage | None:
        if language is None:
            return None
        return after_crisis_message(self.config.in_language(language))

    def reoffer(self, category: str, language: str | None = None) -> list[OutboundMessage]:
        return reoffer_messages(category, self.config.in_language(language), self.booking_url)

    def question(self, category: str, language: str | None = None) -> OutboundMessage:
        return unsure_question(self.config.in_language(language), category)

    def shows_plan(self, category: str) -> bool:
        return shows_plan(category)

    def plan_message(self, safety_plan_html: str, language: str | None = None) -> OutboundMessage:
        return safety_plan_message(self.config.in_language(language), safety_plan_html)

    def asking_categories(self) -> list[str]:
        return [c.name for c in self.config.categories if c.ask is not None]

    def can_ask(self, category: str) -> bool:
        try:
            self.config.category(category)
        except KeyError:
            return False
        return self.config.question_for(category) is not None

    def if_yes(self, category: str) -> str:
        cat = self.config.category(category)
        return cat.if_yes if cat.ask is not None else category

    def if_no(self, category: str, language: str | None = None) -> str:
        config = self.config.in_language(language)
        found = config.question_for(category)
        words = found[1].if_no if found else config.category(category).if_no
        return html.escape(words, quote=False)


@dataclass(frozen=True)
class ScreenedText:
    """One text as this screener read it: the engine's ``Reading``, kept with its event.

    Numbers and rule ids only (``bot.safety.screen.Reading``) and how many words were
    typed; never the words themselves."""

    screener: CrisisScreener
    reading: Reading
    #: Words as typed, split on spaces: a language is told only from a text of a few.
    typed_words: int

    def read_by(self, screener: object) -> bool:
        return screener is self.screener

    def decide(
        self,
        recent: Sequence[RecentRisk] = (),
        now: float = 0.0,
        in_exercise: bool = False,
        quiet: bool = False,
        learned_alone: bool = True,
    ) -> Screening:
        return self.screener.decide(self, recent, now, in_exercise, quiet, learned_alone)


def _event(decision: Decision, asks_first: frozenset[str]) -> SafetyEvent:
    """The stored detection: category and rule id or score band, never the words.

    A question asked about a crisis category is marked ``ask:`` (only its answer may
    alert); a category that always asks first (``concern``) is never alerting anyway."""
    assert decision.category is not None
    source = decision.rule_id or f"{decision.layer}:{decision.band or '-'}"
    asked = decision.action is Action.ASK and decision.category not in asks_first
    prefix = ASKED_PREFIX if asked else ""
    return SafetyEvent(decision.category, prefix + source)
