"""Typed words on a question with buttons (issue 14's play-through).

A yes/no step reads the ways people say yes and no and asks again, with its buttons, for
anything else (never a guess); a rating reads one number among words that add nothing,
and anything it cannot read is asked again naming what to send, with its buttons.
"""

from __future__ import annotations

import pytest

from bot.flow.answers import (
    NotAnAnswer,
    answer_to_direct_question,
    parse_number,
    parse_time,
    parse_yes_no,
    time_words,
)
from bot.flow.engine import Engine
from tests.flow.test_engine import Chat, said


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


@pytest.mark.parametrize(
    "typed",
    [
        "no",
        "No.",
        "nope",
        "not really",
        "I'm not",
        "im not",
        "No, I'm not",
        "no thanks",
        "I'd rather not",
        "please don't",
    ],
)
def test_the_ways_of_saying_no_read_as_no(typed: str) -> None:
    assert parse_yes_no(typed) == "no"


@pytest.mark.parametrize("typed", ["yes", "Yes!", "yeah", "I am", "Yes, I am", "yes please"])
def test_the_ways_of_saying_yes_read_as_yes(typed: str) -> None:
    assert parse_yes_no(typed) == "yes"


@pytest.mark.parametrize(
    "typed",
    [
        "I'm not sure",
        "maybe",
        "yes but no",
        "not sure",
        "idk",
        "I am not okay",
        "whatever",
        "ok no",
    ],
)
def test_anything_else_is_neither(typed: str) -> None:
    with pytest.raises(NotAnAnswer) as raised:
        parse_yes_no(typed)
    assert raised.value.key == "system.retry_yes_no"


@pytest.mark.parametrize("typed", ["I'm not sure", "im fine", "I am"])
def test_the_direct_question_still_reads_its_answers_its_own_way(typed: str) -> None:
    assert answer_to_direct_question(typed) == "unclear"  # unclear gets help, on purpose


def test_a_yes_no_step_asks_again_with_its_buttons_for_other_words(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("a thought")
    chat.send("70")
    assert chat.step == "share"
    turn = chat.send("I'm not sure")
    assert "yes or no" in said(turn)
    assert {"Yes", "No"} <= set(chat.buttons) and chat.step == "share"
    assert chat.state.current is not None and "share" not in chat.state.current.variables
    chat.send("I'm not")
    assert chat.step == "checkin_time"
    assert chat.state.current is not None and chat.state.current.variables["share"] == "no"


def test_a_typed_i_am_on_a_yes_no_step_is_a_yes(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("a thought")
    chat.send("70")
    chat.send("Yes, I am")
    assert chat.step == "helped"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("I'd say a 7", 7),
        ("7 I guess", 7),
        ("I'm at a 6 right now", 6),
        ("seven i think", 7),
        ("maybe a 3?", 3),
        ("a 7 out of 10", 7),
        ("I’d say 5", 5),
    ],
)
def test_a_rating_reads_one_number_among_words_that_add_nothing(typed: str, value: int) -> None:
    assert parse_number(typed, 0, 10, whole=True) == value


@pytest.mark.parametrize(
    "typed", ["not 7", "6 or 7", "pretty bad", "less than 5", "7 earlier, 3 now", "kinda high"]
)
def test_a_rating_in_words_it_cannot_read_is_asked_again(typed: str) -> None:
    with pytest.raises(NotAnAnswer) as raised:
        parse_number(typed, 0, 10, whole=True)
    assert raised.value.key == "system.retry_number"


def test_words_on_a_rating_get_a_reask_naming_the_range_with_the_buttons(chat: Chat) -> None:
    chat.send("/checkin")
    turn = chat.send("pretty bad honestly")
    assert "a number here, between 0 and 10" in said(turn)
    assert [str(n) for n in range(11)] == [
        b.label for row in turn.messages[-1].buttons for b in row
    ]
    assert chat.step == "mood" and chat.state.current is not None
    assert "mood" not in chat.state.current.variables
    chat.send("I'd say a 6")
    assert chat.state.current is not None and chat.state.current.variables["mood"] == 6


def test_words_on_a_button_question_get_a_reask_with_the_buttons(chat: Chat) -> None:
    chat.send("/example")
    turn = chat.send("not great tbh")
    assert "tap one of the buttons" in said(turn)
    assert {"Fairly calm", "Anxious"} <= set(chat.buttons) and chat.step == "feeling"


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("8:30", "8:30 am"),
        ("8:30 pm", "8:30 pm"),
        ("20:05", "8:05 pm"),
        ("0730", "7:30 am"),
        ("noon", "12:00 noon"),
        ("midnight", "12:00 midnight"),
        ("12:30 am", "12:30 am"),
        ("12:15", "12:15 pm"),
    ],
)
def test_a_typed_time_is_read_back_in_words(typed: str, words: str) -> None:
    """What the patient sees (a check-in at "8:30 am"), so a typed "8:30" meant for the
    evening is caught when onboarding reads it back."""
    assert time_words(parse_time(typed)) == words


def test_typed_answers_to_a_tap_all_that_fit_question_tick_like_taps(chat: Chat) -> None:
    """Typing one answer does not end the question (the next words typed would be taken
    for the next question's answer): each typed answer is ticked, said back, and Done ends
    it with all of them."""
    chat.send("/example")
    chat.send("low")
    chat.send("3")
    step = chat.step
    first = chat.send("lonely")
    assert chat.step == step and "Ticked: Lonely." in said(first)
    assert "✓ Lonely" in chat.buttons and "Done ✓" in chat.buttons
    second = chat.send("tired, hungry")
    assert chat.step == step and "Ticked: Hungry, Lonely, Tired." in said(second)
    chat.send("done")
    assert chat.step != step
    assert chat.state.current is not None
    assert sorted(chat.state.current.variables["halt"]) == ["hungry", "lonely", "tired"]
