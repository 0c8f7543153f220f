"""Turn pydantic's validation errors into sentences a clinician can act on.

Pydantic reports locations such as ``steps.ask_mood.say.list[...].0.SayText.text`` and
messages like "Extra inputs are not permitted". Here each error is mapped back to the
key the clinician wrote, given its line, and reworded as what to write instead.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from bot.flow.schema import AskKind, Branch, Flow, Option, Record, Start, Step
from bot.shared.problems import Problem, did_you_mean
from bot.shared.schema_paths import real_path as _real_path
from bot.shared.schema_paths import value_at as _value_at
from bot.shared.yamlio import LocatedYaml

_FIELD_HINTS = {
    "say": "say: takes a content key (like checkin.ask_mood), or a list of content keys, "
    "{text: ...} and {pause: seconds}",
    "next": "next: takes a step name, or a list of branches, each with when: and go:",
    "fields": "fields: takes a list of saved answer names, or entry_field: answer_name lines",
    "label": "label: takes a content key written as file.key, like common.yes",
    "menu": "menu: takes a content key written as file.key, like menu.checkin",
    "retry": "retry: takes a content key written as file.key",
    "ask": "ask: takes one of " + ", ".join(get_args(AskKind)),
    "profile": "profile: takes lines like name: answer_name; the profile keeps name, timezone, "
    "checkin_time, checkins, consent and crisis_alerts",
}


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """Which model describes the mapping found at ``path`` of a flow file."""
    if not path:
        return Flow
    if path == ("start",):
        return Start
    if len(path) == 2 and path[0] == "steps":
        return Step
    if len(path) == 3 and path[0] == "steps" and path[2] == "record":
        return Record
    if len(path) == 4 and path[0] == "steps" and path[2] == "options":
        return Option
    if len(path) == 4 and path[0] == "steps" and path[2] == "next":
        return Branch
    return None


def _where(path: tuple[Any, ...]) -> str:
    if len(path) >= 2 and path[0] == "steps":
        return f'in step "{path[1]}": '
    return ""


def schema_problems(error: ValidationError, located: LocatedYaml) -> list[Problem]:
    """One problem per place the clinician needs to change, with its line."""
    by_path: dict[tuple[Any, ...], Problem] = {}
    for err in error.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            path = _real_path(loc, located.data)
            key = str(path[-1]) if path else str(loc[-1])
            model = _model_at(path[:-1])
            known = list(model.model_fields) if model else []
            msg = f'{_where(path)}unknown key "{key}"{did_you_mean(key, known)}'
            if model and not did_you_mean(key, known):
                msg += f"; the keys here are: {', '.join(known)}"
            by_path[path] = Problem(located.file, located.line_of(path), msg)
            continue
        if kind == "missing":
            parent = _real_path(loc[:-1], located.data)
            key = str(loc[-1])
            path = (*parent, key)
            if path not in by_path:
                by_path[path] = Problem(
                    located.file,
                    located.line_of(parent),
                    f"{_where(path)}{key}: is missing; add a line {key}: ...",
                )
            continue
        path = _real_path(loc, located.data)
        if path in by_path:
            continue
        field = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
        by_path[path] = Problem(
            located.file, located.line_of(path), _reword(err, path, field, located)
        )
    return list(by_path.values())


def _reword(err: Any, path: tuple[Any, ...], field: str, located: LocatedYaml) -> str:
    where = _where(path)
    kind = err["type"]
    value = _value_at(located.data, path)
    if field in _FIELD_HINTS and kind not in ("value_error",):
        return f"{where}{_FIELD_HINTS[field]} (found {_show(value)})"
    if kind == "string_pattern_mismatch":
        if field in ("label", "menu", "retry") or "key" in str(err.get("ctx", {})):
            return f"{where}{field}: {_show(value)} is not a content key; write file.key"
        suggestion = _slug(value)
        return (
            f"{where}{_show(value)} is not a usable name; use lowercase letters, digits and _"
            + (f' (like "{suggestion}")' if suggestion else "")
        )
    if kind == "value_error":
        return f"{where}{str(err['msg']).removeprefix('Value error, ')}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"{where}{field}: should be a number (found {_show(value)})"
    if kind in ("bool_parsing", "bool_type"):
        return f"{where}{field}: should be true or false (found {_show(value)})"
    if kind in ("string_type",):
        return f"{where}{field}: should be a text (found {_show(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return (
            f"{where}{field or 'this'}: should be a list of key: value lines (found {_show(value)})"
        )
    if kind in ("list_type",):
        return f"{where}{field}: should be a list, one item per line starting with - (found {_show(value)})"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{where}{field}: {err['msg'].lower()} (found {_show(value)})"
    if kind in ("string_too_short", "too_short"):
        return f"{where}{field}: is empty; write something here"
    if kind in ("string_too_long",):
        return f"{where}{field}: is too long; {err['msg'].lower()}"
    if kind == "literal_error":
        return f"{where}{field}: {err['msg']} (found {_show(value)})"
    return f"{where}{field}: {err['msg']}"


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _slug(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    out = "".join(ch if ch.isalnum() else "_" for ch in value.strip().lower()).strip("_")
    while "__" in out:
        out = out.replace("__", "_")
    return out if out and out[0].isalpha() else ""
