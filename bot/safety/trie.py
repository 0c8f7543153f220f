"""Phrases compiled into one regular expression: a character trie with end markers.

Every phrase of every category goes into one trie, spelled out character by character, so
the alternation costs what the words cost, not what the number of phrases costs. Each
phrase ends in an empty group: ``match.lastindex`` says which one, and
``CompiledPhrases.targets`` which rule that is. The groups are unnamed on purpose: the
thousands of group names a named marker needs are kept by the compiled pattern, scattered
among the parser's own short-lived objects, and pinned about 18 MB of freed memory in every
process. Also here: the one-edit misspellings of the ``fuzzy:`` words.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.safety.phrases import GAP_WORDS, Choice, Gap, PhraseSpec
from bot.shared.problems import Problem

__all__ = [
    "DOUBLES",
    "CompiledPhrases",
    "Target",
    "Trie",
    "add_phrase",
    "fuzzy_variants",
    "strip_markers",
]

DOUBLES = re.compile(r"([^\W\d_])\1+")
_GAP = rf"(?: [^ ]+){{0,{GAP_WORDS}}}"
_MAX_EXPANSION = 20_000
# Words of a phrase are spelled out into the trie while that gives at most this many
# variants; later words are matched by a small regex after the trie (same result).
_HEAD_LIMIT = 32
# Heads that share one long tail are folded into that tail once ("<took> ... <kratom> ...
# <sedatives>": thirty verbs, one tail) when spelling them out would repeat at least this
# many characters: the trie cannot share endings, and compiling a repeated tail is most of
# what loading the phrases costs.
_FOLD_CHARS = 1_000
_LETTERS = string.ascii_lowercase


@dataclass(frozen=True)
class Target:
    rank: int  # category urgency (0 = most urgent); exclusions: 0 = global
    category: str
    rule_id: str
    scope: str | None = None  # for exclusions: the rule id it protects, None = every rule


class Trie:
    """Phrases -> one regex whose alternation is a character trie with end markers."""

    def __init__(self) -> None:
        self.root: dict[str, object] = {}
        self.targets: dict[str, Target] = {}

    def add(self, head: str, tail: str, target: Target) -> None:
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
        """The regex text, each phrase ending in its named marker (``(?P<g12>)``)."""
        if not self.root:
            return r"(?!)"
        return self._emit(self.root)[1]

    def compile(self) -> CompiledPhrases:
        """The matcher: a lookahead at each space (overlapping phrases are all found) over
        the trie, the markers unnamed and their targets listed by group number."""
        named = self.pattern()
        names = _MARKER_NAME.findall(named)
        regex = re.compile(" (?=" + _MARKER_NAME.sub("()", named) + ")")
        return CompiledPhrases(regex, tuple(self.targets[name] for name in names))

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


@dataclass(frozen=True)
class CompiledPhrases:
    """A compiled trie: its regex, and the target of each end marker by group number - 1."""

    regex: re.Pattern[str]
    targets: tuple[Target, ...]

    def scan(self, padded: str) -> Iterator[tuple[int, int, Target]]:
        """Each phrase found in ``padded`` (the matching form with a space either side):
        where it starts, where it ends, and its target. The crisis lists and the intents
        both read this way."""
        for m in self.regex.finditer(padded):
            group = m.lastindex
            assert group is not None  # every phrase ends in its marker group
            yield m.start(), m.start(group) - 1, self.targets[group - 1]


def add_phrase(
    trie: Trie,
    phrase: PhraseSpec,
    target: Target,
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
    for head, tail in _folded(entries):
        trie.add(head, tail, target)


def _folded(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The entries with each long shared tail written once, its heads as a trie before it."""
    heads_of: dict[str, list[str]] = {}
    for head, tail in entries:
        heads_of.setdefault(tail, []).append(head)
    out: list[tuple[str, str]] = []
    for tail, heads in heads_of.items():
        if (len(heads) - 1) * len(tail) < _FOLD_CHARS or not all(heads):
            out.extend((head, tail) for head in heads)
            continue
        by_letter: dict[str, list[str]] = {}
        for head in heads:
            by_letter.setdefault(head[0], []).append(head[1:])
        for letter, rests in by_letter.items():
            if len(rests) == 1:
                out.append((letter + rests[0], tail))
            else:  # the rest of each head, right after its first letter
                out.append((letter, _tail_piece([(r, False) for r in rests], lead="") + tail))
    return out


def _tail_piece(options: list[tuple[str, bool]], lead: str = " ?") -> str:
    """The choices as one small trie, optional when one of them is empty; ``lead`` is what
    may come before it (the space between words, or nothing inside a word)."""
    trie = Trie()
    for lit, star in options:
        if lit:
            trie.add(lit, r"\w*" if star else "", Target(0, "", ""))
    body = f"(?:{lead}" + strip_markers(trie.pattern()) + ")"
    return body + "?" if any(not lit for lit, _ in options) else body


def strip_markers(pattern: str) -> str:
    return _MARKER.sub("", pattern)


_MARKER = re.compile(r"\\b\(\?P<g\d+>\)")
_MARKER_NAME = re.compile(r"\(\?P<(g\d+)>\)")


def fuzzy_variants(words: Iterable[str], never: Iterable[str]) -> dict[str, str]:
    """Map each one-edit misspelling of a key word to the word (folded forms)."""
    keys = {DOUBLES.sub(r"\1", w) for w in words}
    blocked = {DOUBLES.sub(r"\1", w) for w in never} | keys
    out: dict[str, str] = {}
    clashes: set[str] = set()
    for word in sorted(keys):
        if len(word) < 5:
            continue
        for variant in _edits(word, full=len(word) >= 6):
            variant = DOUBLES.sub(r"\1", variant)
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
