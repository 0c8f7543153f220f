"""Turn pydantic's errors on the crisis file into the sentences a clinician acts on.

Pydantic says "Extra inputs are not permitted" at ``categories.suicide.answers.rules.0``.
The clinician needs ``content/crisis.yaml:LINE: unknown key "matches" in rule 1 of
suicide; did you mean "match"``: each error is taken back to the key they wrote (with
:func:`bot.shared.schema_paths.real_path`), given its line, and worded by what is expected
at that place (a set of keys, a list, a text) and what that place is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.safety import crisis_schema as s
from bot.shared.problems import Problem, did_you_mean
from bot.shared.schema_paths import real_path, value_at
from bot.shared.yamlio import LocatedYaml

__all__ = ["crisis_schema_problems"]

Path_ = tuple[Any, ...]

_LEARNED_SHARES = (
    "ask_at",
    "keep_uncertain_at",
    "context_at",
    "exercise_ask_at",
    "veto_below",
    "dismiss_below",
    "let_go_negated_below",
)
#: Places whose every mistake gets one sentence: what the section must be.
_WHOLE: dict[Path_, str] = {
    ("version",): "version must be 1",
    ("word_lists",): "word_lists must be names, each with a list of words",
    ("resources",): "resources must list at least one resource (an id with name: and how:)",
    ("not_crisis",): "not_crisis must be a non-empty list of rules (id:, match:) or be removed",
    ("categories",): "categories must list at least one category (like suicide:)",
    ("uncertain",): "uncertain must be a list of rules (id:, match:) or be removed",
    ("languages",): "languages must list language codes (like es:) or be removed",
    ("learned", "context_minutes"): "learned.context_minutes must be 0 to 60 minutes",
    ("learned", "min_words"): "learned.min_words must be a whole number, 1 to 10",
    ("learned", "dismiss_min_words"): "learned.dismiss_min_words must be a whole number, 0 to 100",
    ("learned", "mentions"): "learned.mentions must be a list of rule ids",
    **{
        ("learned", k): f"learned.{k} must be a number between 0 and 1, like 0.5"
        for k in _LEARNED_SHARES
    },
}


@dataclass(frozen=True)
class _Place:
    """What is expected at a path ("keys", "list", "text" or "whole") and what it is called."""

    kind: str
    what: str
    keys: tuple[str, ...] = ()


def _keys(model: type[BaseModel], ordered: bool = True) -> tuple[str, ...]:
    names = tuple(model.model_fields)
    return names if ordered else tuple(sorted(names))


def _rule_id(data: Any, rule_path: Path_) -> str:
    """The id the clinician wrote for the rule at ``rule_path``, as the messages name it."""
    try:
        value = value_at(data, (*rule_path, "id"))
    except (KeyError, IndexError, TypeError):
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _in_rule(
    rule_path: Path_, rest: Path_, data: Any, owner: str, model: type[BaseModel]
) -> _Place:
    number = rule_path[-1] + 1 if isinstance(rule_path[-1], int) else 1
    if not rest:
        return _Place("keys", f"rule {number} of {owner}", _keys(model))
    if rest == ("id",):
        return _Place("text", "the rule id")
    listed = f"{rest[0]}: of rule {_rule_id(data, rule_path)}"
    if len(rest) == 1:
        return _Place("list", listed)
    return _Place("text", f"item {rest[1] + 1} of {listed}")


def _listed(path: Path_, what: str) -> _Place:
    """A list of texts at ``path[:1]`` called ``what``, or one of its items."""
    if len(path) == 1:
        return _Place("list", what)
    return _Place("text", f"item {path[1] + 1} of {what}")


def _place(path: Path_, data: Any) -> _Place:
    """What the clinician has to write at ``path``, and what the messages call it."""
    if path in _WHOLE:
        return _Place("whole", _WHOLE[path])
    if not path:
        return _Place("keys", "the crisis file", _keys(s.CrisisFile))
    head, rest = path[0], path[1:]
    if head == "word_lists":
        return _listed(rest, f"word list {rest[0]}")
    if head == "fuzzy":
        if not rest:
            return _Place("keys", "fuzzy", _keys(s.Fuzzy))
        return _listed(rest, f"fuzzy {rest[0]}")
    if head in ("messages", "buttons"):
        model = s.Messages if head == "messages" else s.Buttons
        if not rest:
            return _Place("keys", head, _keys(model))
        return _Place("text", f"{head}.{rest[0]}")
    if head == "resources":
        rid = rest[0]
        if len(rest) == 1:
            return _Place("keys", f"resource {rid}", _keys(s.Resource))
        names = {"name": "the name of", "how": "how: of", "url": "the url of"}
        return _Place("text", f"{names.get(rest[1], 'url_label of')} {rid}")
    if head in ("not_crisis", "uncertain"):
        return _in_rule(path[:2], rest[1:], data, head, s.Exclusion)
    if head == "categories":
        return _category_place(rest, data)
    if head == "learned":
        if not rest:
            return _Place("keys", "learned", _keys(s.Learned))
        return _Place("text", f"learned.{rest[0]}")
    return _language_place(rest, data)


def _category_place(rest: Path_, data: Any) -> _Place:
    name = rest[0]
    raw = data["categories"][name]
    asks = s.category_kind(raw) == "asks"
    if len(rest) == 1:
        if asks:
            return _Place("keys", f"category {name} (it asks first)", _keys(s.AskingCategory))
        return _Place("keys", f"category {name}", _keys(s.AnswerCategory))
    key = rest[1]
    if key == "rules":
        if len(rest) == 2:
            return _Place("whole", f"category {name} has no rules; add at least one (id:, match:)")
        return _in_rule(("categories", *rest[:3]), rest[3:], data, str(name), s.Rule)
    if key == "resources":
        if len(rest) == 2 and not raw.get("resources"):
            return _Place(
                "whole", f"category {name} has no resources; list at least one resource id"
            )
        return _listed(rest[1:], f"the resources of {name}")
    if key == "when_unsure":
        return _question_place(rest[2:], str(name))
    if key == "intro" and not asks:
        return _Place("text", f"the intro of {name}")
    return _Place("text", f"{key} of {name}")


def _question_place(rest: Path_, category: str) -> _Place:
    if not rest:
        return _Place("keys", f"when_unsure of {category}", _keys(s.Question))
    return _Place("text", f"{rest[0]} of {category}'s when_unsure")


def _language_place(rest: Path_, data: Any) -> _Place:
    code = rest[0]
    if len(rest) == 1:
        return _Place("keys", f"language {code}", _keys(s.Language))
    key = rest[1]
    dotted = ".".join(map(str, ("languages", *rest)))
    if key == "detect":
        return _listed(rest[1:], "detect")
    if key in ("messages", "buttons"):
        if len(rest) == 2:
            model = s.LanguageMessages if key == "messages" else s.LanguageButtons
            return _Place("keys", dotted, _keys(model, ordered=False))
        return _Place("text", str(rest[2]))
    if key == "resources":
        if len(rest) <= 3:
            return _Place("keys", dotted, _keys(s.LanguageResource, ordered=False))
        return _Place("text", str(rest[3]))
    if len(rest) == 2:
        return _Place("keys", dotted, ())
    name = rest[2]
    if len(rest) == 3:
        return _Place("keys", f"{code} texts of {name}", _keys(s.LanguageCategory))
    if rest[3] == "when_unsure":
        return _question_place(rest[4:], str(name))
    return _Place("text", str(rest[3]))


def _missing(parent: Path_, key: str, data: Any) -> str:
    place = _place(parent, data)
    if (
        len(parent) == 2
        and parent[0] == "categories"
        and key in ("intro", "resources")
        and place.keys == _keys(s.AnswerCategory)
    ):
        return f'{place.what} needs a "{key}:" key (or ask: to ask a question first)'
    if place.kind == "whole":
        return place.what
    return f'{place.what} needs a "{key}:" key'


def _unknown(path: Path_, data: Any) -> str:
    key = str(path[-1])
    place = _place(path[:-1], data)
    return (
        f'unknown key "{key}" in {place.what}{did_you_mean(key, place.keys)}; '
        f"the keys here are: {', '.join(place.keys)}"
    )


def _wrong(err: Any, path: Path_, data: Any) -> str:
    place = _place(path, data)
    kind = err["type"]
    if place.kind == "whole":
        return place.what
    if place.kind == "keys":
        return f"{place.what} must be a set of keys ({', '.join(place.keys)})"
    if place.kind == "list":
        if kind == "too_short":
            return f"{place.what} is an empty list; add at least one item or remove it"
        return f"{place.what} must be a list (lines starting with -)"
    if kind == s.EMPTY_TEXT:
        return f"{place.what} is empty; write the text"
    return f"{place.what} must be a text"


def crisis_schema_problems(error: ValidationError, located: LocatedYaml) -> list[Problem]:
    """One problem per mistake, each with the line of the key the clinician wrote."""
    data = located.data
    found: dict[tuple[Path_, str], Problem] = {}
    for err in error.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            path = real_path(loc, data)
            where, message = path, _unknown(path, data)
        elif err["type"] == "missing":
            where = real_path(loc[:-1], data)
            message = _missing(where, str(loc[-1]), data)
        else:
            where = real_path(loc, data)
            if err["type"] == s.OWN_WORDS:
                message = str(err["msg"])
            else:
                where = _whole_section(where)
                message = _wrong(err, where, data)
        found.setdefault((where, message), Problem(located.file, located.line_of(where), message))
    return list(found.values())


def _whole_section(path: Path_) -> Path_:
    """A wrong item of ``learned.mentions`` is one mistake: the list is reported once."""
    return path[:2] if path[:2] == ("learned", "mentions") else path
