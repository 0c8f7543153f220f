"""The phrase language of ``content/crisis.yaml``: how a phrase is written and parsed.

    kill myself                 these words in this order
    [want|wanna|need] to die    one of the choices in [ ], separated by |
    overdos*                    any word starting with "overdos"
    kratom ... <sedatives>      "..." skips up to GAP_WORDS words; <name> is a word list

A phrase is parsed into :class:`Choice` and :class:`Gap` parts, each choice already in the
matching form of :func:`~bot.safety.normalize.normalize`. Errors say what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.safety.normalize import normalize
from bot.shared.problems import did_you_mean

__all__ = [
    "GAP_WORDS",
    "Choice",
    "Gap",
    "PhraseError",
    "PhrasePart",
    "PhraseSpec",
    "Rule",
    "parse_phrase",
]

_LIST_NAME = re.compile(r"[a-z][a-z0-9_]*")
_REGEX_LOOKING = re.compile(r"[(){}\\+?^$]")


GAP_WORDS = 4
"""How many words ``...`` may skip in a phrase."""


@dataclass(frozen=True)
class Gap:
    """``...`` in a phrase: up to :data:`GAP_WORDS` other words."""


@dataclass(frozen=True)
class Choice:
    """One slot of a phrase: normalised alternatives, each maybe ending in ``*``."""

    options: tuple[tuple[str, bool], ...]


PhrasePart = Gap | Choice


@dataclass(frozen=True)
class PhraseSpec:
    """A phrase as written (``source``) and parsed (``parts``), with its line."""

    source: str
    parts: tuple[PhrasePart, ...]
    line: int


@dataclass(frozen=True)
class Rule:
    """A named group of phrases; ``unless`` phrases cancel a hit they overlap."""

    id: str
    category: str
    match: tuple[PhraseSpec, ...]
    unless: tuple[PhraseSpec, ...] = ()
    line: int = 1


class PhraseError(ValueError):
    """A phrase that cannot be understood; the message says what to write instead."""


def parse_phrase(text: str, word_lists: Mapping[str, tuple[str, ...]]) -> tuple[PhrasePart, ...]:
    """Parse one phrase of the crisis-file language; raise PhraseError saying what to fix."""
    if not isinstance(text, str) or not text.strip():
        raise PhraseError("the phrase is empty; write the words to look for")
    bad = _REGEX_LOOKING.search(text)
    if bad:
        raise PhraseError(
            f'"{bad.group()}" is not part of the phrase language (this looks like a regular '
            "expression); write choices as [a|b], an optional word as [word|], "
            'a word ending as word*, and "..." to skip a few words'
        )
    parts: list[PhrasePart] = []
    for token in _tokens(text):
        if token == "...":
            if not parts or isinstance(parts[-1], Gap):
                raise PhraseError('"..." must come between words, like: kratom ... xanax')
            parts.append(Gap())
        elif token.startswith("["):
            parts.append(Choice(tuple(_option(o) for o in token[1:-1].split("|"))))
        elif token.startswith("<"):
            name = token[1:-1]
            if name not in word_lists:
                raise PhraseError(
                    f'there is no word list "<{name}>"{did_you_mean(name, word_lists)}; '
                    "add it under word_lists: or use one of: "
                    + ", ".join(f"<{n}>" for n in sorted(word_lists))
                )
            parts.append(Choice(tuple(_option(w) for w in word_lists[name])))
        else:
            parts.append(Choice((_option(token),)))
    if isinstance(parts[-1], Gap):
        raise PhraseError('"..." must come between words, not at the end')
    if all(o == ("", False) for p in parts if isinstance(p, Choice) for o in p.options):
        raise PhraseError("the phrase has no words left after removing punctuation")
    first = parts[0]
    if isinstance(first, Choice) and any(o[0] == "" for o in first.options):
        raise PhraseError(
            "a phrase cannot start with an optional word; write two phrases instead "
            "(one with the word and one without)"
        )
    return tuple(parts)


def _tokens(text: str) -> Iterator[str]:
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "[":
            end = text.find("]", i)
            inner = text[i + 1 : end] if end >= 0 else text[i + 1 :]
            if end < 0:
                raise PhraseError('a "[" is never closed; add "]" after the last choice')
            if "[" in inner:
                raise PhraseError("brackets cannot be nested; write two phrases instead")
            if "<" in inner or "..." in inner:
                raise PhraseError("<lists> and ... cannot go inside [ ]; put them outside")
            yield text[i : end + 1]
            i = end + 1
        elif c == "]":
            raise PhraseError('a "]" has no "[" before it; remove it or add the "["')
        elif c == "<":
            end = text.find(">", i)
            if end < 0 or not _LIST_NAME.fullmatch(text[i + 1 : end]):
                raise PhraseError("write a word list as <name>, like <sedatives>")
            yield text[i : end + 1]
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "[]<":
                j += 1
            word = text[i:j]
            if "|" in word:
                raise PhraseError('"|" separates choices only inside [ ], like [want|need]')
            if word.startswith("...") and word != "...":
                raise PhraseError('put spaces around "...", like: kratom ... xanax')
            yield word
            i = j


def _option(raw: str) -> tuple[str, bool]:
    raw = raw.strip()
    star = raw.endswith("*")
    body = raw[:-1] if star else raw
    if "*" in body:
        raise PhraseError('"*" may only end a word, like overdos*')
    words = normalize(body)
    if star and len(words.rsplit(" ", 1)[-1]) < 3:
        raise PhraseError('put at least 3 letters before "*", like overdos*')
    if body.strip() and not words:
        raise PhraseError(f'"{raw}" has no letters or digits; remove it')
    return words, star
