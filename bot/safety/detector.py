"""Find crisis language in a message with one compiled matcher over every phrase.

How a message is checked:

1. :func:`~bot.safety.normalize.normalize` undoes spacing, leetspeak, accents, repeats.
2. Doubled letters are folded (``kill`` -> ``kil``, ``overdossed`` -> ``overdosed``) in the
   message and in every phrase alike, so a doubled or undoubled letter never decides.
3. Near-misses of the key words listed under ``fuzzy:`` (one letter missing, extra, wrong or
   two letters swapped: ``sucide``, ``suicde``, ``overdoes``) are corrected to the key word.
4. One regular expression, built as a character trie over every phrase of every category,
   is run once over the message. Each phrase ends in an empty group, so
   ``match.lastindex`` says which rule matched (bot.safety.trie). Because the alternation is a trie, the cost
   at each word depends on the length of the words, not on how many phrases there are.
5. Only when something matched, a second trie of the ``unless:`` and ``not_crisis:``
   phrases runs; a hit that overlaps one of its matches is dropped.
6. Of the hits left, the most urgent category wins (the order of ``categories:`` in the
   file, most urgent first: overdose and medical emergencies, then suicide, self-harm,
   harm to others, abuse), then the earliest in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.safety.asking import (
    AFTER_KINDS,
    AFTER_ONLY_KINDS,
    AFTER_WINDOW_WORDS,
    NOT_RESOLVED_BY_WORDS,
    WINDOW_WORDS,
    kind_of,
)
from bot.safety.config import CrisisConfig
from bot.safety.normalize import normalize
from bot.safety.trie import (
    DOUBLES,
    CompiledPhrases,
    Target,
    Trie,
    add_phrase,
    fuzzy_variants,
)
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["CrisisDetector", "Detection", "Hit", "UNCERTAIN_WINDOW_WORDS"]

#: An ``uncertain:`` phrase makes a hit uncertain when it ends at most this many words
#: before the hit starts (or overlaps it): "i used to | cut myself", "years ago i | overdosed";
#: a past or joke phrase also when it starts at most this many words after the hit.
UNCERTAIN_WINDOW_WORDS = 6


@dataclass(frozen=True)
class Detection:
    """The category that applies to a message and the rule that decided it."""

    category: str
    rule_id: str


@dataclass(frozen=True)
class Hit:
    """One phrase found in the matching form of a message (``start``/``end`` index it).

    ``uncertain``: the rule id of the ``uncertain:`` phrase next to it, if any.
    """

    start: int
    end: int
    category: str
    rule_id: str
    uncertain: str | None = None


class CrisisDetector:
    """Checks messages for crisis language; build it once with :meth:`from_config`."""

    def __init__(
        self,
        positive: CompiledPhrases,
        exclusions: CompiledPhrases,
        fuzzy_map: dict[str, str],
        uncertain: CompiledPhrases | None = None,
    ) -> None:
        self._uncertain = uncertain
        self._positive = positive
        self._exclusions = exclusions
        self._fuzzy_map = fuzzy_map

    @classmethod
    def from_config(cls, cfg: CrisisConfig) -> CrisisDetector:
        """Compile every phrase of ``cfg``; raise ProblemsFound if a phrase cannot be built."""
        fuzzy_map = fuzzy_variants(cfg.fuzzy_words, cfg.fuzzy_never)

        def fix(literal: str, star: bool = False) -> str:
            # A word before "*" is a beginning, not a misspelling: never correct it.
            words = DOUBLES.sub(r"\1", literal).split(" ")
            last = len(words) - 1
            return " ".join(
                w if star and i == last else fuzzy_map.get(w, w) for i, w in enumerate(words) if w
            )

        problems: list[Problem] = []
        positive, exclusions = Trie(), Trie()
        for rank, category in enumerate(cfg.categories):
            for rule in category.rules:
                target = Target(rank, category.name, rule.id)
                for phrase in rule.match:
                    add_phrase(positive, phrase, target, fix, cfg.file, problems)
                guard = Target(1, category.name, rule.id, scope=rule.id)
                for phrase in rule.unless:
                    add_phrase(exclusions, phrase, guard, fix, cfg.file, problems)
        for rule in cfg.not_crisis:
            target = Target(0, "not_crisis", rule.id)
            for phrase in rule.match:
                add_phrase(exclusions, phrase, target, fix, cfg.file, problems)
        uncertain = Trie()
        for rule in cfg.uncertain:
            target = Target(0, "uncertain", rule.id)
            for phrase in rule.match:
                add_phrase(uncertain, phrase, target, fix, cfg.file, problems)
        if problems:
            raise ProblemsFound(problems)
        try:
            compiled = positive.compile(), exclusions.compile()
            unsure = uncertain.compile() if uncertain.root else None
        except re.error as exc:  # pragma: no cover - phrases are escaped; a bug if reached
            raise ProblemsFound(
                [Problem(cfg.file, 1, f"the phrases could not be compiled ({exc})")]
            ) from exc
        return cls(*compiled, fuzzy_map, unsure)

    def matching_form(self, text: str, normalized: str | None = None) -> str:
        """The text the phrases are matched against (normalised, folded, corrected).

        ``normalized``: ``normalize(text)`` when the caller has it already.
        """
        key = DOUBLES.sub(r"\1", normalize(text) if normalized is None else normalized)
        if self._fuzzy_map and key:
            get = self._fuzzy_map.get
            key = " ".join([get(w, w) for w in key.split(" ")])
        return key

    def hits(self, text: str, normalized: str | None = None) -> list[Hit]:
        """Every phrase found in ``text`` that no exclusion cancels, in text order.

        Each hit names the ``uncertain:`` phrase that comes just before it, if any.
        """
        key = self.matching_form(text, normalized)
        found = self._hits(key)
        if not found:
            return []
        before = self._uncertain_spans(key)
        return [
            Hit(
                start,
                end,
                t.category,
                t.rule_id,
                _uncertain_before(start, end, before, f" {key} ", t.category),
            )
            for start, end, t in sorted(found, key=lambda h: h[0])
        ]

    def _uncertain_spans(self, key: str) -> list[tuple[int, int, str]]:
        if self._uncertain is None:
            return []
        return [(s, e, t.rule_id) for s, e, t in self._uncertain.scan(f" {key} ")]

    def detect(self, text: str) -> Detection | None:
        """The most urgent crisis category in ``text``, or None."""
        found = self._hits(self.matching_form(text))
        if not found:
            return None
        _, _, target = min(found, key=lambda h: (h[2].rank, h[0]))
        return Detection(target.category, target.rule_id)

    def _hits(self, key: str) -> list[tuple[int, int, Target]]:
        if not key:
            return []
        padded = f" {key} "
        found = list(self._positive.scan(padded))
        if not found:
            return found
        guards = [(s, e, t.scope) for s, e, t in self._exclusions.scan(padded)]
        return [
            (start, end, t)
            for start, end, t in found
            if not any(
                g_start < end and start < g_end and (scope is None or scope == t.rule_id)
                for g_start, g_end, scope in guards
            )
        ]


def _uncertain_before(
    start: int, end: int, spans: list[tuple[int, int, str]], padded: str, category: str
) -> str | None:
    """The uncertain phrase next to the hit at start..end, if any.

    It counts when it ends shortly before the hit, runs into it from before, or opens it
    (a past phrase only: "used to" in "used to mix kratom with alcohol"); or, for the
    kinds in AFTER_KINDS, when it starts shortly after it (their own window,
    AFTER_WINDOW_WORDS). A phrase inside the hit ("im not safe" holding "im not") never
    counts, nor an ending after a hit of NOT_RESOLVED_BY_WORDS. Positions index ``padded``.
    """
    for u_start, u_end, rule_id in spans:
        kind = kind_of(rule_id)
        if kind in AFTER_ONLY_KINDS and category in NOT_RESOLVED_BY_WORDS:
            continue
        if u_start >= end:
            window = AFTER_WINDOW_WORDS.get(kind, UNCERTAIN_WINDOW_WORDS)
            if kind in AFTER_KINDS and padded[end:u_start].count(" ") <= window:
                return rule_id
            continue
        if kind in AFTER_ONLY_KINDS:
            continue
        window = WINDOW_WORDS.get(kind, UNCERTAIN_WINDOW_WORDS)
        # Only a past phrase may open the hit ("used to" of "used to mix kratom with
        # alcohol"): a question's or a negation's words at its start are the hit's own
        # ("how many of my pills would kill me" is a crisis phrase, not a question about one).
        opens_hit = kind == "past" and u_start == start and u_end < end
        if opens_hit or (
            u_start < start and (u_end >= start or padded[u_end:start].count(" ") <= window)
        ):
            return rule_id
    return None
