"""Versioned conversations: a step that keeps its name but changes its meaning.

The issue asks that a conversation continues only where its step still exists *with the
same meaning*. Each frame keeps what its waiting step asked (``bot.flow.versions.meaning``);
a patient waiting on a 0-10 scale whose step became a free-text question of the same name
starts the exercise again with a kind notice instead of answering the new question.
"""

from __future__ import annotations

from pathlib import Path

from bot.flow.engine import Engine
from bot.shared.conversation import PatientView
from bot.shared.messages import Inbound
from tests.flow.helpers import GOOD_FLOW, make_library
from tests.flow.test_engine import Chat, said


def test_a_step_that_now_asks_something_else_restarts_kindly(tmp_path: Path) -> None:
    old = Chat(Engine(make_library(tmp_path, {"demo.yaml": GOOD_FLOW})))
    old.send("/demo")
    assert old.step == "level"
    changed = (
        GOOD_FLOW.replace("version: 1", "version: 2")
        .replace("    ask: scale\n    save: level\n", "    ask: text\n    save: level_note\n")
        .replace("level >= 8", "level_note is set")
        .replace("fields: [level]", "fields: [level_note]")
    )
    new_library = make_library(
        tmp_path / "v2",
        {"demo.yaml": changed},
        content={"demo.yaml": "hello: Hello\nask: How strong?\nbye: Bye\n"},
    )
    assert not new_library.problems, new_library.problems
    turn = Engine(new_library).handle(old.state, PatientView(), Inbound.message("5"))
    assert "updated since you started" in said(turn)


def test_a_step_whose_words_changed_but_asks_the_same_continues(tmp_path: Path) -> None:
    old = Chat(Engine(make_library(tmp_path, {"demo.yaml": GOOD_FLOW})))
    old.send("/demo")
    reworded = GOOD_FLOW.replace("version: 1", "version: 2").replace(
        'text: "High"', 'text: "That is high"'
    )
    turn = Engine(make_library(tmp_path / "v2", {"demo.yaml": reworded})).handle(
        old.state, PatientView(), Inbound.message("9")
    )
    assert "updated since you started" not in said(turn)
    assert "That is high" in said(turn)
