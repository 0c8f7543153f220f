"""Skipping an optional question: ``optional: true`` is the step schema's skip feature.

A Skip button under the question (typing "skip" works too), the answer saved as empty;
``optional:`` on a step that asks nothing is a problem named in plain words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flow.engine import Engine
from tests.flow.helpers import GOOD_FLOW, make_library
from tests.flow.test_engine import Chat


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def _to_helped(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("a thought")
    chat.send("70")
    chat.press("Yes")
    assert chat.step == "helped"


def test_an_optional_text_step_shows_a_skip_button_that_skips_it(chat: Chat) -> None:
    _to_helped(chat)
    assert "Skip this one" in chat.buttons
    turn = chat.press("Skip this one")
    assert turn.pressed == "answered" and turn.pressed_label == "Skip this one"
    assert chat.step == "checkin_time" and chat.state.current is not None
    assert chat.state.current.variables["helped"] is None


def test_typing_skip_skips_it_too(chat: Chat) -> None:
    _to_helped(chat)
    chat.send("Skip")
    assert chat.step == "checkin_time"


def test_optional_on_a_step_that_asks_nothing_is_a_problem(tmp_path: Path) -> None:
    flow = GOOD_FLOW.replace("    say: demo.hello\n", "    say: demo.hello\n    optional: true\n")
    problems = [str(p) for p in make_library(tmp_path, {"demo.yaml": flow}).problems]
    assert len(problems) == 1
    assert 'step "hello"' in problems[0] and "remove optional: or add ask:" in problems[0]


def test_a_progress_button_on_a_step_that_asks_nothing_is_a_problem(tmp_path: Path) -> None:
    flow = GOOD_FLOW.replace(
        "    say: demo.hello\n", "    say: demo.hello\n    progress_button: true\n"
    )
    problems = [str(p) for p in make_library(tmp_path, {"demo.yaml": flow}).problems]
    assert len(problems) == 1
    assert 'step "hello"' in problems[0] and "remove progress_button: or add ask:" in problems[0]


@pytest.mark.parametrize("typed", ["Skip this one", "skip it", "pass", "/skip"])
def test_typing_the_skip_buttons_words_skips_rather_than_saving_them(
    chat: Chat, typed: str
) -> None:
    _to_helped(chat)
    chat.send(typed)
    assert chat.step == "checkin_time" and chat.state.current is not None
    assert chat.state.current.variables["helped"] is None


def test_on_a_question_that_is_not_optional_skip_is_an_answer_like_any_other(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("skip")
    assert chat.step == "belief"
    assert chat.state.current is not None and chat.state.current.variables["thought"] == "skip"


def test_slash_skip_elsewhere_is_still_an_unknown_command(chat: Chat) -> None:
    chat.send("/example")
    turn = chat.send("/skip")
    assert chat.step == "feeling" and turn.messages
    assert chat.state.current is not None and "feeling" not in chat.state.current.variables
