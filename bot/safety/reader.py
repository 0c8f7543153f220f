"""Reading the crisis file's YAML: every problem collected with its line, none fatal.

:class:`Reader` walks the parsed YAML and records a :class:`~bot.shared.problems.Problem` for
each mistake instead of stopping at the first, so a clinician sees them all at once.
The rule and phrase readers are shared by every section that holds rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.safety.phrases import PhraseError, PhraseSpec, Rule, parse_phrase
from bot.shared.problems import Problem, did_you_mean
from bot.shared.yamlio import LocatedYaml

__all__ = ["RULE_ID", "Reader", "phrase_spec", "read_phrases", "read_rule", "rule_id_problem"]

#: A rule id: lower-case words joined by dots (``suicide.want_to_die``).
RULE_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")


class Reader:
    """Walks the parsed YAML, collecting problems instead of stopping at the first."""

    def __init__(self, located: LocatedYaml) -> None:
        self.y = located
        self.problems: list[Problem] = []

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(self.y.file, self.y.line_of(path), message))

    def mapping(
        self, value: Any, path: tuple[str | int, ...], keys: Mapping[str, bool], what: str
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a set of keys ({', '.join(keys)})")
            return {}
        for key in value:
            if key not in keys:
                self.problem(
                    (*path, key),
                    f'unknown key "{key}" in {what}{did_you_mean(key, keys)}; '
                    f"the keys here are: {', '.join(keys)}",
                )
        for key, required in keys.items():
            if required and key not in value:
                self.problem(path, f'{what} needs a "{key}:" key')
        return value

    def text(self, value: Any, path: tuple[str | int, ...], what: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(path, f"{what} must be a text")
            return ""
        if not str(value).strip():
            self.problem(path, f"{what} is empty; write the text")
        return str(value).strip()

    def texts(self, value: Any, path: tuple[str | int, ...], what: str) -> list[str]:
        if not isinstance(value, list):
            self.problem(path, f"{what} must be a list (lines starting with -)")
            return []
        if not value:
            self.problem(path, f"{what} is an empty list; add at least one item or remove it")
        return [self.text(v, (*path, i), f"item {i + 1} of {what}") for i, v in enumerate(value)]


def read_rule(
    r: Reader,
    raw: Any,
    path: tuple[str | int, ...],
    category: str,
    keys: Mapping[str, bool],
    word_lists: Mapping[str, tuple[str, ...]],
    seen_ids: dict[str, int],
) -> Rule | None:
    number = path[-1] + 1 if isinstance(path[-1], int) else 1
    rule = r.mapping(raw, path, keys, f"rule {number} of {category}")
    if not rule:
        return None
    rid = r.text(rule.get("id", ""), (*path, "id"), "the rule id") if "id" in rule else ""
    line = r.y.line_of((*path, "id")) if "id" in rule else r.y.line_of(path)
    if rid:
        wrong = rule_id_problem(rid, category, seen_ids, line)
        if wrong:
            r.problem((*path, "id"), wrong)
    match = read_phrases(r, rule, path, "match", rid, word_lists)
    unless = read_phrases(r, rule, path, "unless", rid, word_lists) if "unless" in rule else ()
    return Rule(id=rid, category=category, match=match, unless=unless, line=line)


def read_phrases(
    r: Reader,
    rule: dict[str, Any],
    path: tuple[str | int, ...],
    key: str,
    rid: str,
    word_lists: Mapping[str, tuple[str, ...]],
) -> tuple[PhraseSpec, ...]:
    if key not in rule:
        return ()
    out = []
    for i, text in enumerate(r.texts(rule[key], (*path, key), f"{key}: of rule {rid}")):
        if not text:
            continue
        spec = phrase_spec(text, rid, word_lists, r.y.line_of((*path, key, i)))
        if isinstance(spec, str):
            r.problem((*path, key, i), spec)
            continue
        out.append(spec)
    return tuple(out)


def rule_id_problem(rid: str, category: str, seen_ids: dict[str, int], line: int) -> str | None:
    """What is wrong with the rule id ``rid`` on ``line``, or None (then it is seen)."""
    if not RULE_ID.fullmatch(rid):
        return (
            f'the rule id "{rid}" must be lower-case words joined by dots, '
            f"like {category}.want_to_die"
        )
    if rid in seen_ids:
        return (
            f'the rule id "{rid}" is used twice (first on line {seen_ids[rid]}); '
            "rule ids must be unique"
        )
    seen_ids[rid] = line
    return None


def phrase_spec(
    text: str, rid: str, word_lists: Mapping[str, tuple[str, ...]], line: int
) -> PhraseSpec | str:
    """The phrase ``text`` of rule ``rid`` parsed, or what is wrong with it."""
    try:
        parts = parse_phrase(text, word_lists)
    except PhraseError as exc:
        return f'the phrase "{text}" in rule {rid} cannot be used: {exc}'
    return PhraseSpec(text, parts, line)
