"""Validation: every rule reports file:line and what to write instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.flow.helpers import GOOD_FLOW, make_library

LINE = re.compile(r"^[\w./-]+\.yaml:\d+: ")


def problems_of(tmp_path: Path, flow: str, **extra: str) -> list[str]:
    library = make_library(tmp_path, {"demo.yaml": flow, **extra})
    return [str(p) for p in library.problems]


def test_good_flow_loads(tmp_path: Path) -> None:
    library = make_library(tmp_path, {"demo.yaml": GOOD_FLOW})
    assert library.problems == []
    assert list(library.flows) == ["demo"]


def test_shipped_flows_are_valid(library) -> None:  # type: ignore[no-untyped-def]
    assert [str(p) for p in library.problems] == []
    assert "example" in library.flows


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    say: demo.hello\n    next: level", "    sya: demo.hello\n    next: level"),
            r'demo.yaml:\d+: in step "hello": unknown key "sya" \(did you mean "say"\?\)',
        ),
        (("go: high", "go: hihg"), r'there is no step "hihg" \(did you mean "high"\?\)'),
        (
            ("level >= 8", "levle >= 8"),
            r'the condition uses "levle", which no step saves \(did you mean "level"\?\)',
        ),
        (("level >= 8", "level = 8"), r"cannot be read: .*use == rather than ="),
        (("level >= 8", "level >= high"), r'"level" is a number; compare it with a number'),
        (
            ("say: demo.bye", "say: demo.by"),
            r'there is no text "demo.by" in content/ \(did you mean "demo.bye"\?\)',
        ),
        (
            ("fields: [level]", "fields: [levl]"),
            r'"levl" is never saved in this flow \(did you mean "level"\?\)',
        ),
        (("    ask: scale", "    ask: slider"), r"ask: takes one of text, choice"),
        (("version: 1", "version: one"), r"version: should be a number"),
        (
            ("      - go: bye", "      - when: level < 3\n        go: bye"),
            r"the last branch needs no when:",
        ),
        (
            (
                "    next: bye\n  bye:",
                "    next: bye\n  orphan:\n    text: x\n    next: bye\n  bye:",
            ),
            r'the step "orphan" can never be reached',
        ),
        (
            ('    text: "High"\n    next: bye', '    text: "High"\n    next: high'),
            r"(can never end|never waits for the patient)",
        ),
        (
            ('  high:\n    text: "High"\n    next: bye', '  high:\n    text: "High"'),
            r'in step "high": it is not clear where to go after this step',
        ),
        (("command: demo", "command: menu"), r"/menu belongs to the coach itself"),
        (
            ("    next: level\n", "    call: nowhere\n    next: level\n"),
            r'there is no flow "nowhere"',
        ),
        (
            ('  high:\n    text: "High"', '  high:\n    text: "High {feeling}"'),
            r"\{feeling\} is never saved in this flow",
        ),
    ],
)
def test_each_rule_names_file_line_and_fix(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD_FLOW, old
    problems = problems_of(tmp_path, GOOD_FLOW.replace(old, new, 1))
    assert problems, "expected a problem"
    assert all(LINE.match(p) for p in problems), problems
    assert any(re.search(expected, p) for p in problems), problems


def test_line_numbers_point_at_the_key(tmp_path: Path) -> None:
    flow = GOOD_FLOW.replace("go: high", "go: hihg")
    problems = problems_of(tmp_path, flow)
    line = next(int(p.split(":")[1]) for p in problems if "hihg" in p)
    assert "hihg" in flow.splitlines()[line - 1]


def test_template_in_content_needs_a_saved_variable(tmp_path: Path) -> None:
    flow = (
        GOOD_FLOW.replace("    save: level\n", "    save: strength\n")
        .replace("level >= 8", "strength >= 8")
        .replace("fields: [level]", "fields: [strength]")
    )
    problems = problems_of(tmp_path, flow)
    assert any(
        "shows {level}, which this flow never saves" in p and "demo.yaml:" in p for p in problems
    ), problems


def test_choice_value_typo_in_condition(tmp_path: Path) -> None:
    flow = """
    id: demo
    title: Demo
    description: d
    version: 1
    steps:
      feeling:
        say: demo.ask_emotion
        ask: choice
        save: emotion
        options:
          - {value: anxious, label: demo.anxious}
          - {value: angry, label: demo.angry}
        next:
          - when: emotion in [anxious, angyr]
            go: bye
          - go: bye
      bye:
        text: bye
        end: true
    """
    problems = problems_of(tmp_path, flow)
    assert any(
        '"angyr" is not a button value of step "feeling" (did you mean "angry"?)' in p
        for p in problems
    ), problems


def test_duplicate_flow_ids(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path, GOOD_FLOW, **{"copy.yaml": GOOD_FLOW.replace("command: demo", "command: demo2")}
    )
    assert any('the flow id "demo" is already used by flows/' in p for p in problems), problems


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("id: demo\nsteps:\n\thello: x\n", r"demo.yaml:3: YAML syntax: a tab character"),
        ("id: demo\nid: other\n", r'demo.yaml:2: the key "id" appears twice \(first on line 1\)'),
        ("id: demo\nsteps:\n  a:\n    say: x\n   next: b\n", r"demo.yaml:5: YAML syntax"),
        ("id: demo\ntitle: Note: this\n", r"demo.yaml:2: YAML syntax: a colon"),
    ],
)
def test_malformed_yaml_is_reported_with_line(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    library = make_library(
        tmp_path, {"demo.yaml": yaml_text, "good.yaml": GOOD_FLOW.replace("id: demo", "id: good")}
    )
    problems = [str(p) for p in library.problems]
    assert any(re.search(expected, p) for p in problems), problems
    assert "good" in library.flows, "one bad file must not stop the others from loading"


def test_validate_command_lists_all_problems_and_fails(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    make_library(
        tmp_path, {"a.yaml": GOOD_FLOW.replace("go: high", "go: hihg"), "b.yaml": "id: b\nid: c\n"}
    )
    (tmp_path / "content" / "crisis.yaml").write_text(
        (Path(__file__).parents[2] / "content" / "crisis.yaml").read_text()
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "content"))
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "flows/a.yaml:" in out and "hihg" in out
    assert "flows/b.yaml:2:" in out


def test_validate_command_passes_on_shipped_flows(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(Path(__file__).parents[2])
    assert main(["validate"]) == 0, capsys.readouterr().out
