"""What the crisis file's models cannot check alone: what needs the whole file.

The shape of each key is checked by the pydantic models (``bot.safety.crisis_schema``).
Phrases need the word lists, categories name resources, ``if_yes:`` names a category,
rule ids must be unique across every section, and categories keep an order. Those
checks run here, over whatever parts of the file are usable even when others are broken,
so a clinician sees every problem at once. The phrases parsed on the way are kept: the
loader builds its rules from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bot.safety.asking import UNCERTAIN_KINDS, kind_of
from bot.safety.crisis_schema import Learned, Text, category_kind
from bot.safety.normalize import normalize
from bot.safety.phrases import PhraseSpec, Rule
from bot.safety.reader import phrase_spec, rule_id_problem
from bot.shared.problems import Problem, did_you_mean
from bot.shared.yamlio import LocatedYaml

__all__ = ["CheckedFile", "check_crisis_file"]

Path_ = tuple[str | int, ...]
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_WEB_LINK = re.compile(r"https?://[^\s/]+\.[^\s]+")
_TEXT: TypeAdapter[str] = TypeAdapter(Text)


def _text(value: Any) -> str:
    """The text written, stripped; empty when it is not one (the models say so)."""
    try:
        return _TEXT.validate_python(value)
    except ValidationError:
        return ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class CheckedFile:
    """The problems found, and each rule parsed, by the path of the rule in the file."""

    located: LocatedYaml
    problems: list[Problem] = field(default_factory=list)
    rules: dict[Path_, Rule] = field(default_factory=dict)
    word_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seen_ids: dict[str, int] = field(default_factory=dict)

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.located.file, self.located.line_of(path), message))


def check_crisis_file(located: LocatedYaml) -> CheckedFile:
    """Every problem that needs more than one key of the file to see."""
    out = CheckedFile(located)
    data = _dict(located.data)
    _word_lists(out, _dict(data.get("word_lists")))
    _fuzzy(out, _dict(data.get("fuzzy")))
    resource_ids = _resources(out, _dict(data.get("resources")))
    for i, raw in enumerate(_list(data.get("not_crisis"))):
        _rule(out, raw, ("not_crisis", i), "not_crisis")
    categories = _dict(data.get("categories"))
    _categories(out, categories, resource_ids)
    for i, raw in enumerate(_list(data.get("uncertain"))):
        rule = _rule(out, raw, ("uncertain", i), "uncertain")
        if rule is not None and (
            not rule.id.startswith("uncertain.") or kind_of(rule.id) not in UNCERTAIN_KINDS
        ):
            out.problem(
                ("uncertain", i, "id"),
                f'the id "{rule.id}" must start with uncertain. and a kind: '
                + ", ".join(f"uncertain.{k}." for k in UNCERTAIN_KINDS),
            )
    _mentions(out, _dict(data.get("learned")))
    for code, block in _dict(data.get("languages")).items():
        for rid in _dict(_dict(block).get("resources")):
            if rid not in resource_ids:
                out.problem(
                    ("languages", code, "resources", rid),
                    f'there is no resource "{rid}" to translate',
                )
        for name in _dict(_dict(block).get("categories")):
            if name not in categories:
                out.problem(
                    ("languages", code, "categories", name),
                    f'there is no category "{name}" to translate',
                )
    return out


def _word_lists(out: CheckedFile, raw: dict[str, Any]) -> None:
    for name, words in raw.items():
        if not _NAME.fullmatch(name):
            out.problem(
                ("word_lists", name),
                f'the list name "{name}" must be lower-case words_with_underscores',
            )
        out.word_lists[name] = tuple(w for w in map(_text, _list(words)) if w)


def _fuzzy(out: CheckedFile, raw: dict[str, Any]) -> None:
    for i, word in enumerate(_list(raw.get("words"))):
        w = normalize(_text(word))
        if " " in w or not w:
            out.problem(("fuzzy", "words", i), f'fuzzy words are single words; "{w}" is not')


def _resources(out: CheckedFile, raw: dict[str, Any]) -> set[str]:
    for rid, value in raw.items():
        path: Path_ = ("resources", rid)
        if not _NAME.fullmatch(rid):
            out.problem(path, f'the resource id "{rid}" must be lower-case words_with_underscores')
        res = _dict(value)
        url = _text(res["url"]) if "url" in res else ""
        if url and not _WEB_LINK.fullmatch(url):
            out.problem(
                (*path, "url"),
                f"the url of {rid} must start with https:// (buttons only open web links); "
                "put phone numbers in how: instead",
            )
        if "url_label" in res:
            if "url" not in res:
                out.problem((*path, "url_label"), f"url_label of {rid} needs a url: too")
        elif url:
            out.problem(path, f"resource {rid} has a url: but no url_label: (the button text)")
    return set(raw)


def _categories(out: CheckedFile, raw: dict[str, Any], resource_ids: set[str]) -> None:
    for name, value in raw.items():
        path: Path_ = ("categories", name)
        if not _NAME.fullmatch(name):
            out.problem(
                path, f'the category name "{name}" must be lower-case words_with_underscores'
            )
        cat = _dict(value)
        if category_kind(value) == "answers":
            for i, rid in enumerate(_list(cat.get("resources"))):
                rid = _text(rid)
                if rid and rid not in resource_ids:
                    out.problem(
                        (*path, "resources", i),
                        f'category {name} names the resource "{rid}", which does not exist'
                        f"{did_you_mean(rid, resource_ids)}; add it under resources: or fix the id",
                    )
        for i, rule in enumerate(_list(cat.get("rules"))):
            _rule(out, rule, (*path, "rules", i), name)
    asking = [category_kind(v) == "asks" for v in raw.values()]
    others = [n for n, asks in zip(raw, asking, strict=True) if not asks]
    for i, (name, value) in enumerate(raw.items()):
        if not asking[i]:
            continue
        if_yes = _text(value.get("if_yes", ""))
        if if_yes not in others:
            out.problem(
                ("categories", name, "if_yes"),
                f"if_yes must name a category with resources{did_you_mean(if_yes, others)}; "
                f"the categories are: {', '.join(others)}",
            )
        if not all(asking[i:]):
            out.problem(
                ("categories", name),
                f"category {name} asks first, so it must come last "
                "(categories are listed most urgent first)",
            )


def _rule(out: CheckedFile, raw: Any, path: Path_, owner: str) -> Rule | None:
    """Check the id and phrases of the rule at ``path`` and keep it parsed."""
    if not isinstance(raw, dict) or not raw:
        return None
    rid = _text(raw["id"]) if "id" in raw else ""
    line = out.located.line_of((*path, "id") if "id" in raw else path)
    if rid:
        wrong = rule_id_problem(rid, owner, out.seen_ids, line)
        if wrong:
            out.problem((*path, "id"), wrong)
    rule = Rule(
        id=rid,
        category=owner,
        match=_phrases(out, raw, path, "match", rid),
        unless=_phrases(out, raw, path, "unless", rid),
        line=line,
    )
    out.rules[path] = rule
    return rule


def _phrases(
    out: CheckedFile, raw: dict[str, Any], path: Path_, key: str, rid: str
) -> tuple[PhraseSpec, ...]:
    specs = []
    for i, value in enumerate(_list(raw.get(key))):
        text = _text(value)
        if not text:
            continue
        spec = phrase_spec(text, rid, out.word_lists, out.located.line_of((*path, key, i)))
        if isinstance(spec, str):
            out.problem((*path, key, i), spec)
        else:
            specs.append(spec)
    return tuple(specs)


def _mentions(out: CheckedFile, learned: dict[str, Any]) -> None:
    mentions = learned.get("mentions", [])
    required = [k for k, f in Learned.model_fields.items() if f.is_required()]
    if not learned or any(k not in learned for k in required):
        return
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        return
    for unknown in sorted(set(mentions) - set(out.seen_ids)):
        out.problem(("learned", "mentions"), f'learned.mentions names no rule "{unknown}"')
