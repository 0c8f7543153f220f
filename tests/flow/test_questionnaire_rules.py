"""A clinician's mistakes in a questionnaire: each reported as file:line in plain words."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.flow.library import FlowLibrary
from tests.flow.helpers import ROOT, make_library

GOOD = """
id: mood_check
title: Mood check
description: A two-item questionnaire.
version: 1
start:
  command: mood_check
questionnaire:
  measure: mood_check
  name: Mood check
  version: "1"
  recall: "Over the last 2 weeks:"
  options:
    - {value: never, text: "Never", score: 0}
    - {value: often, text: "Often", score: 3}
  items:
    - {id: low, text: "Feeling low"}
    - {id: worried, text: "Feeling worried"}
  scoring: {method: sum}
  bands:
    - {at_least: 0, label: low}
    - {at_least: 3, label: high}
"""


def _library(tmp_path: Path, text: str) -> FlowLibrary:
    """The flow with the questionnaires' own texts (content/scores.yaml) beside it."""
    (tmp_path / "content").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "content" / "scores.yaml", tmp_path / "content" / "scores.yaml")
    return make_library(tmp_path, {"mood_check.yaml": text}, content={})


def test_a_good_questionnaire_loads_and_a_clinician_can_add_one(tmp_path: Path) -> None:
    library = _library(tmp_path, GOOD)
    assert not library.problems
    assert list(library.flows["mood_check"].flow.steps) == ["low", "worried", "score"]


def test_steps_and_questionnaire_together_are_refused(tmp_path: Path) -> None:
    text = GOOD + "steps:\n  a: {text: hi, end: true}\n"
    (problem,) = _library(tmp_path, text).problems
    assert problem.file == "flows/mood_check.yaml" and "remove steps:" in problem.message


def test_bands_out_of_order_and_beyond_the_highest_total(tmp_path: Path) -> None:
    text = GOOD.replace("{at_least: 3, label: high}", "{at_least: 9, label: high}")
    (problem,) = _library(tmp_path, text).problems
    assert problem.line == 22 and "no total reaches 9; the highest possible is 6" in problem.message
    assert problem.code == "flow.questionnaire"


def test_a_screener_needs_its_cut_off_and_a_rule_must_be_reachable(tmp_path: Path) -> None:
    text = GOOD.replace("{method: sum}", "{method: screener}").replace(
        '{id: low, text: "Feeling low"}',
        '{id: low, text: "Feeling low", rule: {flag: very_low, score_at_least: 5}}',
    )
    messages = sorted(p.message for p in _library(tmp_path, text).problems)
    assert messages == [
        "a screener needs positive_at: (its cut-off)",
        'item "low": no answer scores 5; the highest is 3',
    ]


def test_a_misspelt_key_names_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("  recall:", "  recal:")
    problems = _library(tmp_path, text).problems
    assert problems and all(p.file == "flows/mood_check.yaml" for p in problems)
    assert any(p.line == 12 for p in problems)
