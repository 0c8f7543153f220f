"""Conversation tests written in YAML, the way clinicians test their flows.

A file ``flows/tests/<flow>.yaml`` holds named scripts of patient inputs and what must
follow. They run through the same engine as the bot, without a database or a channel,
and a failure names the file, line, script and what came instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

from bot.flow.engine import Engine
from bot.flow.practice import practice_variables
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Button, Inbound, Turn
from bot.shared.problems import Problem, ProblemsFound
from bot.shared.yamlio import LocatedYaml, read_yaml

_EXPECT_KEYS = {
    "says",
    "not_says",
    "buttons",
    "has_buttons",
    "step",
    "flow",
    "ended",
    "recorded",
    "profile",
    "crisis",
}


@dataclass
class ScriptResult:
    file: str
    flow: str
    name: str
    failures: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def plain(html_text: str) -> str:
    """A message as a person reads it: tags gone, entities decoded."""
    return unescape(re.sub(r"</?[a-z][^>]*>", "", html_text))


def conversation_test_files(tests_dir: Path) -> list[Path]:
    return sorted(tests_dir.glob("*.yaml")) if tests_dir.is_dir() else []


def run_test_file(engine: Engine, path: Path, shown: str | None = None) -> list[ScriptResult]:
    """Run every script of one test file."""
    shown = shown or str(path)
    try:
        located = read_yaml(path, shown)
    except ProblemsFound as exc:
        return [ScriptResult(shown, "?", "(file)", list(exc.problems))]
    data = located.data if isinstance(located.data, dict) else {}
    flow_id = str(data.get("flow", "?"))
    scripts = data.get("scripts")
    if flow_id not in engine.library.flows:
        return [
            ScriptResult(
                shown,
                flow_id,
                "(file)",
                [
                    Problem(
                        shown, located.line_of(("flow",)), f'there is no flow "{flow_id}" to test'
                    )
                ],
            )
        ]
    if not isinstance(scripts, list) or not scripts:
        return [
            ScriptResult(
                shown,
                flow_id,
                "(file)",
                [Problem(shown, 1, "add scripts: with at least one script")],
            )
        ]
    return [_run_script(engine, located, flow_id, i, script) for i, script in enumerate(scripts)]


def _run_script(
    engine: Engine, located: LocatedYaml, flow_id: str, index: int, script: Any
) -> ScriptResult:
    name = (
        str(script.get("name", f"script {index + 1}"))
        if isinstance(script, dict)
        else f"script {index + 1}"
    )
    result = ScriptResult(located.file, flow_id, name)
    if not isinstance(script, dict) or not isinstance(script.get("steps"), list):
        result.failures.append(
            Problem(
                located.file,
                located.line_of(("scripts", index)),
                f'"{name}": add steps: (a list of send: or press: lines)',
            )
        )
        return result
    profile = script.get("patient") or {}
    # saved: entries the patient wrote before (kind: fields), for a step's recall:; an entry
    # recorded during the script is saved too, as the bot stores it.
    entries: dict[str, dict[str, Any]] = {
        str(k): dict(v) for k, v in (script.get("saved") or {}).items() if isinstance(v, dict)
    }
    patient = PatientView(
        name=profile.get("name"), timezone=profile.get("timezone"), latest_entry=entries.get
    )
    # coach: sets what the coach tells the flow (like coach_oncall: "yes") for this script,
    # and the practice's numbers (practice_phone, practice_phone_after_hours): none unless
    # the script gives them, whatever this machine's settings say, so a test reads the same
    # for every practice.
    coach = {str(k): str(v) for k, v in (script.get("coach") or {}).items()}
    phones = [coach.pop(k, None) for k in ("practice_phone", "practice_phone_after_hours")]
    facts, texts = engine.coach_facts, engine.coach_texts
    engine.coach_facts = {**facts, **coach}
    engine.coach_texts = practice_variables(engine.library.content, *phones)
    try:
        return _play(engine, located, flow_id, index, script, name, result, patient, entries)
    finally:
        engine.coach_facts, engine.coach_texts = facts, texts


def _play(
    engine: Engine,
    located: LocatedYaml,
    flow_id: str,
    index: int,
    script: Any,
    name: str,
    result: ScriptResult,
    patient: PatientView,
    entries: dict[str, dict[str, Any]],
) -> ScriptResult:
    state = ConversationState()
    buttons: list[Button] = []
    for n, line in enumerate(script["steps"]):
        path = ("scripts", index, "steps", n)

        def fail(message: str, at: tuple[Any, ...] = path, number: int = n) -> None:
            result.failures.append(
                Problem(
                    located.file, located.line_of(at), f'"{name}", line {number + 1}: {message}'
                )
            )

        if not isinstance(line, dict) or not ({"send", "press"} & set(line)):
            fail("each line needs send: (text or /command) or press: (a button's words)")
            return result
        if "press" in line:
            label = str(line["press"])
            button = next((b for b in buttons if b.label == label and b.token), None)
            if button is None:
                fail(
                    f'there is no button "{label}"; the buttons were: {", ".join(b.label for b in buttons) or "none"}'
                )
                return result
            event = Inbound.press(button.token or "")
        else:
            event = Inbound.message(str(line["send"]))
        try:
            turn = engine.handle(state, patient, event)
        except Exception as exc:  # a crash is a test failure with its place, not a traceback
            fail(f"the engine failed: {type(exc).__name__}: {exc}")
            return result
        entries.update((r.kind, dict(r.data)) for r in turn.records)
        shown = [b for m in turn.messages for row in m.buttons for b in row]
        if turn.pressed == "replace":
            shown = [b for row in turn.keyboard for b in row]
        if shown:
            buttons = shown
        expect = line.get("expect") or {}
        unknown = set(expect) - _EXPECT_KEYS
        if unknown:
            fail(
                f"unknown expect key(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(_EXPECT_KEYS))}",
                (*path, "expect"),
            )
        for message in _check(expect, turn, state, shown):
            fail(message, (*path, "expect"))
    return result


def _check(
    expect: dict[str, Any], turn: Turn, state: ConversationState, shown: list[Button]
) -> Iterable[str]:
    said = "\n".join(plain(m.text) for m in turn.messages)
    said_lower = said.lower()
    quoted = said.replace("\n", " / ")[:300] or "(nothing)"
    for text in _as_list(expect.get("says")):
        if str(text).lower() not in said_lower:
            yield f'expected the coach to say "{text}"; it said: "{quoted}"'
    for text in _as_list(expect.get("not_says")):
        if str(text).lower() in said_lower:
            yield f'expected the coach not to say "{text}"; it said: "{quoted}"'
    labels = [b.label for b in shown]
    if "buttons" in expect and [str(b) for b in _as_list(expect["buttons"])] != labels:
        yield f"expected the buttons {[str(b) for b in _as_list(expect['buttons'])]}; they were {labels}"
    for label in _as_list(expect.get("has_buttons")):
        if str(label) not in labels:
            yield f'expected a button "{label}"; the buttons were {labels}'
    current = state.current
    if "step" in expect and (current is None or current.step != str(expect["step"])):
        yield f'expected to wait at step "{expect["step"]}"; it is at {current.step if current else "no step (ended)"}'
    if "flow" in expect and (current is None or current.flow_id != str(expect["flow"])):
        yield f'expected the flow "{expect["flow"]}"; it is {current.flow_id if current else "none (ended)"}'
    if "ended" in expect and bool(expect["ended"]) != (current is None):
        yield (
            "expected the flow to have ended"
            if expect["ended"]
            else "expected the flow to still be running"
        )
    if "recorded" in expect:
        yield from _check_records(_as_list(expect["recorded"]), turn)
    for key, value in (expect.get("profile") or {}).items():
        if key not in turn.profile_updates or not _same(turn.profile_updates[key], value):
            yield f"expected the profile {key} to be {value!r}; the updates were {turn.profile_updates}"
    if "crisis" in expect:
        fired = bool(turn.safety_events)
        if bool(expect["crisis"]) != fired:
            yield (
                "expected a crisis response"
                if expect["crisis"]
                else f"expected no crisis response; got {turn.safety_events}"
            )


def _check_records(wanted: list[Any], turn: Turn) -> Iterable[str]:
    if not wanted and turn.records:
        yield f"expected nothing recorded; recorded {[r.kind for r in turn.records]}"
    for item in wanted:
        kind = item.get("kind") if isinstance(item, dict) else item
        data = item.get("data", {}) if isinstance(item, dict) else {}
        matches = [r for r in turn.records if r.kind == kind]
        if not matches:
            yield f'expected a "{kind}" entry recorded; recorded {[r.kind for r in turn.records] or "nothing"}'
            continue
        record = matches[0]
        for key, value in data.items():
            if key not in record.data or not _same(record.data[key], value):
                yield f'expected "{kind}" to record {key}={value!r}; it recorded {key}={record.data.get(key)!r}'


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return isinstance(actual, list) and [str(a) for a in actual] == [str(e) for e in expected]
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(actual, int | float) and float(actual) == float(expected)
    if isinstance(expected, bool):
        return actual == expected or str(actual) == ("yes" if expected else "no")
    return str(actual) == str(expected) if expected is not None else actual is None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
