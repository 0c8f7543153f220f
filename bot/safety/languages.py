"""Crisis answers in the patient's language: the ``languages:`` section of the crisis file.

A message written in Spanish gets its crisis answer in Spanish. Each language lists the
words that mark a message as written in it (``detect:``) and the texts it replaces:
messages, buttons, resources (name, how, url, url_label), and per category the intro,
the ``when_unsure`` question and, for a category that asks first, its question. Any text
a language leaves out stays in English, so a half-finished translation never silences help.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.safety.asking import UnsureQuestion

__all__ = ["Translation", "detect_language", "replace_texts"]

#: A message is in a language when this many of its words are marker words…
_MIN_MARKERS = 2
#: …or, for a message of a few words, when at least half of them are.
_SHORT_SHARE = 0.5


@dataclass(frozen=True)
class Translation:
    """One language's marker words and the texts it replaces."""

    code: str
    detect: frozenset[str]
    messages: dict[str, str]
    buttons: dict[str, str]
    resources: dict[str, dict[str, str]]
    intros: dict[str, str]
    questions: dict[str, UnsureQuestion]
    asks: dict[str, dict[str, str]]


def detect_language(words: Iterable[str], translations: Iterable[Translation]) -> str | None:
    """The code of the language ``words`` (a normalised message, split) are written in."""
    words = list(words)
    if not words:
        return None
    best, best_count = None, 0
    for translation in translations:
        count = sum(1 for w in words if w in translation.detect)
        if count > best_count:
            best, best_count = translation.code, count
    if best_count >= _MIN_MARKERS or (best_count and best_count / len(words) >= _SHORT_SHARE):
        return best
    return None


def replace_texts(obj: Any, texts: dict[str, str]) -> Any:
    """A copy of the frozen dataclass ``obj`` with the fields named in ``texts`` replaced."""
    known = {f.name for f in dataclasses.fields(obj)}
    return dataclasses.replace(obj, **{k: v for k, v in texts.items() if k in known})
