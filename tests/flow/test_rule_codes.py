"""Every problem a flow rule finds carries its rule's stable code (not part of the text)."""

from __future__ import annotations

from pathlib import Path

from tests.flow.helpers import GOOD_FLOW, make_library


def codes_of(tmp_path: Path, flow: str) -> set[str]:
    return {p.code for p in make_library(tmp_path, {"demo.yaml": flow}).problems}


def test_a_missing_step_is_a_reference_problem(tmp_path: Path) -> None:
    assert codes_of(tmp_path, GOOD_FLOW.replace("go: high", "go: hihg")) == {"flow.reference"}


def test_an_unknown_text_key_is_a_text_problem(tmp_path: Path) -> None:
    assert codes_of(tmp_path, GOOD_FLOW.replace("say: demo.bye", "say: demo.byee")) == {"step.text"}


def test_the_code_is_not_part_of_equality_or_the_words(tmp_path: Path) -> None:
    (problem,) = make_library(
        tmp_path, {"demo.yaml": GOOD_FLOW.replace("go: high", "go: hihg")}
    ).problems
    assert problem.code not in str(problem)
    assert problem == type(problem)(problem.file, problem.line, problem.message)
