"""Find crisis language in a message with one compiled matcher over every phrase.

How a message is checked:

1. :func:`~bot.safety.normalize.normalize` undoes spacing, leetspeak, accents, repeats.
2. Doubled letters are folded (``kill`` -> ``kil``, ``overdossed`` -> ``overdosed``) in the
   message and in every phrase alike, so a doubled or undoubled letter never decides.
3. Near-misses of the key words listed under ``fuzzy:`` (one letter missing, extra, wrong or
   two letters swapped: ``sucide``, ``suicde``, ``overdoes``) are corrected to the key word.
4. One regular expression, built as a character trie over every phrase of every category,
   is run once over the message. Each phrase ends in an empty named group, so
   ``match.lastgroup`` says which rule matched. Because the alternation is a trie, the cost
   at each word depends on the length of the words, not on how many phrases there are.
5. Only when something matched, a second trie of the ``unless:`` and ``not_crisis:``
   phrases runs; a hit that overlaps one of its matches is dropped.
6. Of the hits left, the most urgent category wins (the order of ``categories:`` in the
   file, most urgent first: overdose and medical emergencies, then suicide, self-harm,
   harm to others, abuse), then the earliest in the message.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.safety.asking import AFTER_KINDS
from bot.safety.config import CrisisConfig
from bot.safety.normalize import normalize
from bot.safety.phrases import GAP_WORDS, Choice, Gap, PhraseSpec
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["CrisisDetector", "Detection", "Hit", "UNCERTAIN_WINDOW_WORDS"]

#: An ``uncertain:`` phrase makes a hit uncertain when it ends at most this many words
#: before the hit starts (or overlaps it): "i used to | cut myself", "years ago i | overdosed";
#: a past or joke phrase also when it starts at most this many words after the hit.
UNCERTAIN_WINDOW_WORDS = 6

_DOUBLES = re.compile(r"([^\W\d_])\1+")
_GAP = rf"(?: [^ ]+){{0,{GAP_WORDS}}}"
_MAX_EXPANSION = 20_000
# Words of a phrase are spelled out into the trie while that gives at most this many
# variants; later words are matched by a small regex after the trie (same result).
_HEAD_LIMIT = 32
_LETTERS = string.ascii_lowercase


@dataclass(frozen=True)
class Detection:
    """The category that applies to a message and the rule that decided it."""

    category: str
    rule_id: str


@dataclass(frozen=True)
class Hit:
    """One phrase found in the matching form of a message (``start``/``end`` index it).

    ``uncertain``: the rule id of the ``uncertain:`` phrase just before it, if any.
    """

    start: int
    end: int
    category: str
    rule_id: str
    uncertain: str | None = None


@dataclass(frozen=True)
class _Target:
    rank: int  # category urgency (0 = most urgent); exclusions: 0 = global
    category: str
    rule_id: str
    scope: str | None = None  # for exclusions: the rule id it protects, None = every rule


class _Trie:
    """Phrases -> one regex whose alternation is a character trie with end markers."""

    def __init__(self) -> None:
        self.root: dict[str, object] = {}
        self.targets: dict[str, _Target] = {}
        self._ends: dict[tuple[int, str], str] = {}

    def add(self, head: str, tail: str, target: _Target) -> None:
        node = self.root
        for ch in head:
            node = node.setdefault(ch, {})  # type: ignore[assignment]
        ends: dict[str, tuple[int, str]] = node.setdefault("", {})  # type: ignore[assignment]
        best = ends.get(tail)
        if best is None or target.rank < best[0]:
            name = best[1] if best else f"g{len(self.targets)}"
            ends[tail] = (target.rank, name)
            self.targets[name] = target

    def pattern(self) -> str:
        if not self.root:
            return r"(?!)"
        return self._emit(self.root)[1]

    def _emit(self, node: dict[str, object]) -> tuple[int, str]:
        options: list[tuple[int, int, str]] = []
        for ch, child in node.items():
            if ch == "":
                for tail, (rank, name) in child.items():  # type: ignore[attr-defined]
                    options.append((rank, 1, rf"{tail}\b(?P<{name}>)"))
            else:
                rank, sub = self._emit(child)  # type: ignore[arg-type]
                options.append((rank, 0, _char(ch) + sub))
        options.sort()
        best = options[0][0]
        if len(options) == 1:
            return best, options[0][2]
        return best, "(?:" + "|".join(o[2] for o in options) + ")"


def _char(ch: str) -> str:
    return " ?" if ch == " " else re.escape(ch)


def _literal(text: str) -> str:
    return "".join(_char(c) for c in text)


class CrisisDetector:
    """Checks messages for crisis language; build it once with :meth:`from_config`."""

    def __init__(
        self,
        positive: re.Pattern[str],
        positive_targets: dict[str, _Target],
        exclusions: re.Pattern[str],
        exclusion_targets: dict[str, _Target],
        fuzzy: re.Pattern[str] | None,
        fuzzy_map: dict[str, str],
        uncertain: re.Pattern[str] | None = None,
        uncertain_targets: dict[str, _Target] | None = None,
    ) -> None:
        self._uncertain = uncertain
        self._uncertain_targets = uncertain_targets or {}
        self._positive = positive
        self._positive_targets = positive_targets
        self._exclusions = exclusions
        self._exclusion_targets = exclusion_targets
        self._fuzzy = fuzzy
        self._fuzzy_map = fuzzy_map

    @classmethod
    def from_config(cls, cfg: CrisisConfig) -> CrisisDetector:
        """Compile every phrase of ``cfg``; raise ProblemsFound if a phrase cannot be built."""
        fuzzy_map = _fuzzy_variants(cfg.fuzzy_words, cfg.fuzzy_never)
        fuzzy = None  # near-misses are corrected word by word from fuzzy_map

        def fix(literal: str, star: bool = False) -> str:
            # A word before "*" is a beginning, not a misspelling: never correct it.
            words = _DOUBLES.sub(r"\1", literal).split(" ")
            last = len(words) - 1
            return " ".join(
                w if star and i == last else fuzzy_map.get(w, w) for i, w in enumerate(words) if w
            )

        problems: list[Problem] = []
        positive, exclusions = _Trie(), _Trie()
        for rank, category in enumerate(cfg.categories):
            for rule in category.rules:
                target = _Target(rank, category.name, rule.id)
                for phrase in rule.match:
                    _add_phrase(positive, phrase, target, fix, cfg.file, problems)
                guard = _Target(1, category.name, rule.id, scope=rule.id)
                for phrase in rule.unless:
                    _add_phrase(exclusions, phrase, guard, fix, cfg.file, problems)
        for rule in cfg.not_crisis:
            target = _Target(0, "not_crisis", rule.id)
            for phrase in rule.match:
                _add_phrase(exclusions, phrase, target, fix, cfg.file, problems)
        uncertain = _Trie()
        for rule in cfg.uncertain:
            target = _Target(0, "uncertain", rule.id)
            for phrase in rule.match:
                _add_phrase(uncertain, phrase, target, fix, cfg.file, problems)
        if problems:
            raise ProblemsFound(problems)
        try:
            pos_rx = re.compile(" (?=" + positive.pattern() + ")")
            exc_rx = re.compile(" (?=" + exclusions.pattern() + ")")
            unc_rx = re.compile(" (?=" + uncertain.pattern() + ")") if uncertain.root else None
        except re.error as exc:  # pragma: no cover - phrases are escaped; a bug if reached
            raise ProblemsFound(
                [Problem(cfg.file, 1, f"the phrases could not be compiled ({exc})")]
            ) from exc
        return cls(
            pos_rx,
            positive.targets,
            exc_rx,
            exclusions.targets,
            fuzzy,
            fuzzy_map,
            unc_rx,
            uncertain.targets,
        )

    def matching_form(self, text: str, normalized: str | None = None) -> str:
        """The text the phrases are matched against (normalised, folded, corrected).

        ``normalized``: ``normalize(text)`` when the caller has it already.
        """
        key = _DOUBLES.sub(r"\1", normalize(text) if normalized is None else normalized)
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
                start, end, t.category, t.rule_id, _uncertain_before(start, end, before, f" {key} ")
            )
            for start, end, t in sorted(found, key=lambda h: h[0])
        ]

    def _uncertain_spans(self, key: str) -> list[tuple[int, int, str]]:
        if self._uncertain is None:
            return []
        out = []
        for m in self._uncertain.finditer(f" {key} "):
            name = m.lastgroup
            assert name is not None
            out.append((m.start(), m.start(name) - 1, self._uncertain_targets[name].rule_id))
        return out

    def detect(self, text: str) -> Detection | None:
        """The most urgent crisis category in ``text``, or None."""
        found = self._hits(self.matching_form(text))
        if not found:
            return None
        _, _, target = min(found, key=lambda h: (h[2].rank, h[0]))
        return Detection(target.category, target.rule_id)

    def _hits(self, key: str) -> list[tuple[int, int, _Target]]:
        if not key:
            return []
        padded = f" {key} "
        found = []
        for m in self._positive.finditer(padded):
            name = m.lastgroup
            assert name is not None
            found.append((m.start(), m.start(name) - 1, self._positive_targets[name]))
        if not found:
            return found
        guards = []
        for m in self._exclusions.finditer(padded):
            name = m.lastgroup
            assert name is not None
            guards.append((m.start(), m.start(name) - 1, self._exclusion_targets[name].scope))
        return [
            (start, end, t)
            for start, end, t in found
            if not any(
                g_start < end and start < g_end and (scope is None or scope == t.rule_id)
                for g_start, g_end, scope in guards
            )
        ]


def _uncertain_before(
    start: int, end: int, spans: list[tuple[int, int, str]], padded: str
) -> str | None:
    """The uncertain phrase ending shortly before (or overlapping) the hit at start..end.

    Positions index ``padded``, the matching form with a space at each end.
    """
    for u_start, u_end, rule_id in spans:
        if u_start >= end:
            after = rule_id.split(".")[1] in AFTER_KINDS
            if after and padded[end:u_start].count(" ") <= UNCERTAIN_WINDOW_WORDS:
                return rule_id
            continue
        if u_end >= start or padded[u_end:start].count(" ") <= UNCERTAIN_WINDOW_WORDS:
            return rule_id
    return None


def _add_phrase(
    trie: _Trie,
    phrase: PhraseSpec,
    target: _Target,
    fix: Callable[[str, bool], str],
    file: str,
    problems: list[Problem],
) -> None:
    entries: list[tuple[str, str]] = [("", "")]
    for part in phrase.parts:
        if isinstance(part, Gap):
            entries = [(head, tail + _GAP) for head, tail in entries]
            continue
        assert isinstance(part, Choice)
        options = [(fix(lit, star), star) for lit, star in part.options]
        piece = _tail_piece(options)
        grown: list[tuple[str, str]] = []
        to_tail = len(entries) * len(options) > _HEAD_LIMIT and entries != [("", "")]
        for head, tail in entries:
            if tail or to_tail:
                grown.append((head, tail + piece))
                continue
            for lit, star in options:
                joined = f"{head} {lit}" if head and lit else head or lit
                grown.append((joined, r"\w*" if star else ""))
        entries = grown
        if len(entries) > _MAX_EXPANSION:
            problems.append(
                Problem(
                    file,
                    phrase.line,
                    f'the phrase "{phrase.source}" has too many combinations '
                    f"(more than {_MAX_EXPANSION}); split it into a few shorter phrases",
                )
            )
            return
    for head, tail in entries:
        trie.add(head, tail, target)


def _tail_piece(options: list[tuple[str, bool]]) -> str:
    trie = _Trie()
    for lit, star in options:
        if lit:
            trie.add(lit, r"\w*" if star else "", _Target(0, "", ""))
    body = "(?: ?" + _strip_markers(trie.pattern()) + ")"
    return body + "?" if any(not lit for lit, _ in options) else body


def _strip_markers(pattern: str) -> str:
    return _MARKER.sub("", pattern)


_MARKER = re.compile(r"\\b\(\?P<g\d+>\)")


def _fuzzy_variants(words: Iterable[str], never: Iterable[str]) -> dict[str, str]:
    """Map each one-edit misspelling of a key word to the word (folded forms)."""
    keys = {_DOUBLES.sub(r"\1", w) for w in words}
    blocked = {_DOUBLES.sub(r"\1", w) for w in never} | keys
    out: dict[str, str] = {}
    clashes: set[str] = set()
    for word in sorted(keys):
        if len(word) < 5:
            continue
        for variant in _edits(word, full=len(word) >= 6):
            variant = _DOUBLES.sub(r"\1", variant)
            if variant in blocked or len(variant) < 4:
                continue
            if variant in out and out[variant] != word:
                clashes.add(variant)
            out[variant] = word
    for variant in clashes:
        del out[variant]
    return out


def _edits(word: str, full: bool) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    if full:
        out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return out
