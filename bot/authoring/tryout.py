"""`coach chat --flow ID --from STEP --set name=value`: check what a clinician asked for.

Trying one changed step should not need walking the whole exercise, but a typo in a step
or a variable must say what to write instead, never start somewhere else silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from bot.flow.library import CompiledFlow, FlowLibrary
from bot.flow.rules.facts import COACH_FACTS, content_keys_of, inline_texts_of, step_targets
from bot.flow.schema import NAME_PATTERN
from bot.shared.content import Content, placeholders
from bot.shared.problems import did_you_mean


class TryoutError(ValueError):
    """What is wrong with the try-out request, in words a clinician can act on."""


def parse_variables(pairs: Sequence[str]) -> dict[str, Any]:
    """``name=value`` pairs; values read like YAML (9 is a number, yes/no stay words)."""
    variables: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise TryoutError(
                f'"--set {pair}" needs a name and a value, like --set distress=8 or --set feeling=anxious'
            )
        if not re.match(NAME_PATTERN, name):
            raise TryoutError(
                f'"{name}" is not an answer name: use lowercase letters, digits and _, like --set distress=8'
            )
        variables[name] = _value(raw.strip())
    return variables


def _value(raw: str) -> Any:
    if raw.lower() in ("yes", "no", "on", "off", "true", "false", ""):
        return raw  # a yes_no answer is saved as the word, as the patient's button does
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, (int, float, str)) or (
        isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value)
    ):
        return value
    return raw


def check_tryout(
    library: FlowLibrary, flow_id: str | None, step: str | None, variables: dict[str, Any]
) -> list[str]:
    """Errors that stop the try-out (raised) and notes worth knowing (returned)."""
    if step is None:
        if variables:
            raise TryoutError(
                "--set needs --from STEP, like: coach chat --flow checkin --from ask_mood --set mood=3"
            )
        return []
    if flow_id is None:
        raise TryoutError("--from needs --flow, like: coach chat --flow checkin --from ask_mood")
    compiled = library.flows[flow_id]
    if step not in compiled.flow.steps:
        raise TryoutError(
            f'The flow "{flow_id}" has no step "{step}"'
            + did_you_mean(step, compiled.flow.steps)
            + f". Its steps are: {', '.join(compiled.flow.steps)}"
        )
    needed, kept = answers_needed_from(compiled, step, library.content)
    missing = sorted(needed - set(variables))
    if missing:
        example = " ".join(f"--set {name}=..." for name in missing)
        raise TryoutError(
            f'Starting "{flow_id}" at "{step}" needs what earlier steps would have saved: '
            f"{', '.join(missing)}. Add {example}"
        )
    saved = set(compiled.facts.saved)
    notes = [
        f'note: the flow "{flow_id}" never saves "{name}"' + did_you_mean(name, saved)
        for name in variables
        if name not in saved
    ]
    empty = sorted(kept - set(variables))
    if empty:
        notes.append(
            f"note: the journal entry or profile will have no {', '.join(empty)} "
            "(--set them to fill them in)"
        )
    return notes


def answers_needed_from(
    compiled: CompiledFlow, start: str, content: Content | None = None
) -> tuple[set[str], set[str]]:
    """The flow's answers the steps from ``start`` on use but only earlier steps save:
    those a condition or a text reads (needed: without them the try-out would branch or
    read wrongly), and those only a journal entry or the profile keeps (stored empty).
    A condition that asks only whether an answer ``is set`` needs nothing: unset is a case."""
    steps = compiled.flow.steps
    reachable: set[str] = set()
    waiting = [start]
    while waiting:
        name = waiting.pop()
        if name not in reachable and name in steps:
            reachable.add(name)
            waiting.extend(step_targets(steps[name]))
    read: set[str] = set()
    kept: set[str] = set()
    saved_from_here: set[str] = set()
    conditions = [c for (name, _), c in compiled.facts.conditions.items() if name in reachable]
    conditions += [c for name, c in compiled.facts.screens.items() if name in reachable]
    for condition in conditions:
        read.update(c.name for c in condition.comparisons if not c.op.endswith("set"))
    for name in reachable:
        step = steps[name]
        for key, _ in content_keys_of(step):
            if content is not None and key in content:
                read.update(placeholders(content.get(key)))
        for text, _ in inline_texts_of(step):
            read.update(placeholders(text))
        if step.record is not None:
            fields = step.record.fields
            kept.update(fields.values() if isinstance(fields, dict) else fields)
        kept.update((step.profile or {}).values())
        saved_from_here.update([step.save] if step.save else [])
        saved_from_here.update(step.set or {})
    earlier = set(compiled.facts.saved) - saved_from_here - set(COACH_FACTS)
    return read & earlier, (kept - read) & earlier
