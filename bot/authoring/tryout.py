"""`coach chat --flow ID --from STEP --set name=value`: check what a clinician asked for.

Trying one changed step should not need walking the whole exercise, but a typo in a step
or a variable must say what to write instead, never start somewhere else silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from bot.flow.library import FlowLibrary
from bot.flow.schema import NAME_PATTERN
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
    saved = set(compiled.facts.saved)
    return [
        f'note: the flow "{flow_id}" never saves "{name}"' + did_you_mean(name, saved)
        for name in variables
        if name not in saved
    ]
