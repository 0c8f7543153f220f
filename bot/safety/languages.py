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

from bot.safety.asking import UnsureQuestion, read_when_unsure
from bot.safety.normalize import normalize
from bot.safety.reader import Reader

__all__ = ["Translation", "detect_language", "read_languages"]

_LANGUAGE_KEYS = {
    "detect": True,
    "messages": False,
    "buttons": False,
    "resources": False,
    "categories": False,
}
_RESOURCE_KEYS = {"name": False, "how": False, "url": False, "url_label": False}
_CATEGORY_KEYS = {
    "intro": False,
    "when_unsure": False,
    "ask": False,
    "yes_button": False,
    "no_button": False,
    "if_no": False,
}
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


def read_languages(
    r: Reader,
    raw: Any,
    message_keys: Iterable[str],
    button_keys: Iterable[str],
    resource_ids: set[str],
    category_names: set[str],
) -> tuple[Translation, ...]:
    """The ``languages:`` section; unknown keys, resources and categories are problems."""
    if not isinstance(raw, dict) or not raw:
        r.problem(("languages",), "languages must list language codes (like es:) or be removed")
        return ()
    out = []
    for code, block in raw.items():
        path: tuple[str | int, ...] = ("languages", code)
        lang = r.mapping(block, path, _LANGUAGE_KEYS, f"language {code}")
        if not lang:
            continue
        detect = frozenset(
            normalize(w) for w in r.texts(lang.get("detect", []), (*path, "detect"), "detect")
        )
        messages = _texts(r, lang.get("messages", {}), (*path, "messages"), set(message_keys))
        buttons = _texts(r, lang.get("buttons", {}), (*path, "buttons"), set(button_keys))
        resources: dict[str, dict[str, str]] = {}
        for rid, res in (lang.get("resources") or {}).items():
            if rid not in resource_ids:
                r.problem((*path, "resources", rid), f'there is no resource "{rid}" to translate')
                continue
            resources[str(rid)] = _texts(r, res, (*path, "resources", rid), set(_RESOURCE_KEYS))
        intros: dict[str, str] = {}
        questions: dict[str, UnsureQuestion] = {}
        asks: dict[str, dict[str, str]] = {}
        for name, cat in (lang.get("categories") or {}).items():
            cpath = (*path, "categories", name)
            if name not in category_names:
                r.problem(cpath, f'there is no category "{name}" to translate')
                continue
            fields = r.mapping(cat, cpath, _CATEGORY_KEYS, f"{code} texts of {name}")
            if "intro" in fields:
                intros[str(name)] = r.text(fields["intro"], (*cpath, "intro"), "intro")
            if "when_unsure" in fields:
                question = read_when_unsure(r, fields["when_unsure"], (*cpath, "when_unsure"), name)
                if question is not None:
                    questions[str(name)] = question
            ask_keys = {"ask", "yes_button", "no_button", "if_no"}
            ask = {k: r.text(v, (*cpath, k), k) for k, v in fields.items() if k in ask_keys}
            if ask:
                asks[str(name)] = ask
        out.append(
            Translation(str(code), detect, messages, buttons, resources, intros, questions, asks)
        )
    return tuple(out)


def _texts(r: Reader, raw: Any, path: tuple[str | int, ...], keys: set[str]) -> dict[str, str]:
    block = r.mapping(raw, path, dict.fromkeys(sorted(keys), False), ".".join(map(str, path)))
    return {str(k): r.text(v, (*path, k), str(k)) for k, v in block.items() if k in keys}


def replace_texts(obj: Any, texts: dict[str, str]) -> Any:
    """A copy of the frozen dataclass ``obj`` with the fields named in ``texts`` replaced."""
    known = {f.name for f in dataclasses.fields(obj)}
    return dataclasses.replace(obj, **{k: v for k, v in texts.items() if k in known})
