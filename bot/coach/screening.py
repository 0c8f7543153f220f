"""Connect the crisis screen (rules, learned layer, decision) to the engine's seam.

The engine speaks in plain values (``Screening``, ``OutboundMessage``); this adapter turns
the screen's :class:`~bot.safety.decision.Decision` into them, picks the answer's language
and logs each decision by layer, category, rule id or score band, never the words.
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
from bot.safety.screen import CrisisScreen
from bot.shared.conversation import RecentRisk
from bot.shared.messages import ASKED_PREFIX, OutboundMessage, SafetyEvent, Screening

__all__ = ["CrisisScreener"]

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

    def screen(
        self,
        text: str,
        recent: Sequence[RecentRisk] = (),
        now: float = 0.0,
        in_exercise: bool = False,
        quiet: bool = False,
    ) -> Screening:
        signals = [
            RecentSignal((now - r.at) / 60, r.probability, r.category)
            for r in recent
            if now and 0 <= now - r.at <= self.context_seconds
        ]
        decision = self.screen_.screen(text, signals, in_exercise=in_exercise)
        prediction = decision.prediction
        words = len(text.split())
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
    ) -> list[OutboundMessage]:
        return crisis_messages(
            category,
            self.config.in_language(language),
            self.booking_url,
            safety_plan_html=safety_plan_html,
            in_exercise=in_exercise,
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

    def asks_first(self, category: str) -> bool:
        return self.config.category(category).ask is not None

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


def _event(decision: Decision, asks_first: frozenset[str]) -> SafetyEvent:
    """The stored detection: category and rule id or score band, never the words.

    A question asked about a crisis category is marked ``ask:`` (only its answer may
    alert); a category that always asks first (``concern``) is never alerting anyway."""
    assert decision.category is not None
    source = decision.rule_id or f"{decision.layer}:{decision.band or '-'}"
    asked = decision.action is Action.ASK and decision.category not in asks_first
    prefix = ASKED_PREFIX if asked else ""
    return SafetyEvent(decision.category, prefix + source)
