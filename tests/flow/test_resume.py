"""Leaving an exercise and starting it again: pick up where you left off, or start over.

Issue 14's play-through: leaving an exercise for the menu, another exercise or a command
and coming back started it over and lost the answers. Crisis words still come first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flow.engine import Engine
from bot.shared import tokens
from bot.shared.content import render, render_label
from bot.shared.conversation import ConversationState, Crisis, PatientView
from bot.shared.messages import Inbound, Turn
from tests.flow.helpers import GOOD_FLOW, make_library
from tests.flow.test_engine import Chat, said


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


PICK_UP = "Pick up where you left off"
START_OVER = "Start over"


def _open(chat: Chat, flow_id: str) -> Turn:
    """Press a menu button that opens ``flow_id``."""
    return chat._do(Inbound.press(tokens.encode(tokens.OpenFlow(flow_id))))


def _left_midway(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    assert chat.step == "thought"
    chat.send("/menu")


def test_coming_back_from_the_menu_offers_to_pick_up_and_keeps_the_answers(chat: Chat) -> None:
    _left_midway(chat)
    offer = chat.send("/example")
    assert "partway through “Example of every feature”" in said(offer)
    assert set(chat.buttons) == {PICK_UP, START_OVER}
    back = chat.press(PICK_UP)
    assert back.pressed == "answered" and back.pressed_label == PICK_UP
    assert "thought" in said(back).lower() and chat.step == "thought"
    assert chat.state.current is not None and chat.state.current.variables["feeling"] == "calm"
    chat.send("Nobody likes me")
    assert chat.step == "belief"  # the answer is read as the question's, as before


def test_the_menu_button_of_the_same_exercise_offers_it_too(chat: Chat) -> None:
    _left_midway(chat)
    offer = _open(chat, "example")
    assert "partway through" in said(offer) and PICK_UP in chat.buttons


def test_start_over_begins_again_with_nothing_kept(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    again = chat.press(START_OVER)
    assert "How are you arriving today?" in said(again)
    assert chat.step == "feeling" and chat.state.current is not None
    assert chat.state.current.variables == {}
    assert chat.state.paused == []  # the old answers are not kept aside either


def test_coming_back_from_another_exercise_offers_to_pick_up(chat: Chat) -> None:
    _left_midway(chat)
    _open(chat, "example_breath")
    assert chat.state.paused and chat.state.paused[0].flow_id == "example"
    chat.send("/example")
    assert PICK_UP in chat.buttons
    chat.press(PICK_UP)
    assert chat.step == "thought" and chat.state.current is not None
    assert chat.state.current.flow_id == "example"


def test_the_exercise_open_now_is_set_aside_when_the_left_one_comes_back(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/checkin")
    chat.press("7")
    assert chat.state.current is not None and chat.state.current.flow_id == "checkin"
    chat.send("/example")
    assert [f.flow_id for f in chat.state.paused] == ["checkin"]
    chat.press(PICK_UP)
    assert chat.step == "thought"


def test_nothing_answered_yet_simply_starts_again(chat: Chat) -> None:
    chat.send("/example")
    chat.send("/menu")
    turn = chat.send("/example")
    assert "partway" not in said(turn) and chat.step == "feeling"
    assert chat.state.paused == []


def test_words_that_are_neither_get_the_offer_again_with_its_buttons(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    turn = chat.send("hmm what")
    assert "Please tap one of the buttons" in said(turn)
    assert set(chat.buttons) == {PICK_UP, START_OVER}
    assert chat.step == "thought"
    assert chat.state.current is not None and "thought" not in chat.state.current.variables


def test_the_offer_can_be_answered_in_words(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    chat.send("Start over!")
    assert chat.step == "feeling"
    chat.press("Fairly calm")
    chat.send("/menu")
    chat.send("/example")
    chat.send("1")
    assert chat.step == "thought"


def test_an_old_question_button_does_not_answer_the_offer(chat: Chat) -> None:
    chat.send("/example")
    old = dict(chat.buttons)
    chat.press("Anxious")
    chat.send("/example")
    turn = chat.engine.handle(chat.state, PatientView(), Inbound.press(old["Low"]))
    assert turn.pressed == "stale"
    assert chat.state.current is not None and chat.state.current.variables["feeling"] == "anxious"


def test_continue_from_the_menu_while_the_offer_waits_picks_up(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    chat.send("/menu")
    chat.press("↩ Continue: Example of every feature")
    assert chat.step == "thought"
    chat.send("Nobody likes me")
    assert chat.step == "belief"


def test_crisis_words_while_the_offer_waits_get_the_help_lines_first(chat: Chat) -> None:
    chat.send("/checkin")
    chat.press("7")
    chat.send("/menu")
    chat.send("/checkin")
    turn = chat.send("everything feels hopeless")
    assert "thoughts of ending your life" in said(turn) or "988" in said(turn)
    assert "partway" not in said(turn)
    helped = chat.send("yes")
    assert "988" in said(helped) and chat.state.hold == Crisis()
    back = chat.press("Go back to the exercise")
    assert back.messages and chat.state.current is not None
    assert chat.state.current.variables["mood"] == 7  # picked up where it was left


def test_the_offer_lasts_as_long_as_the_stored_conversation(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    chat.state = ConversationState.from_json(chat.state.to_json())
    chat.press(PICK_UP)
    assert chat.step == "thought"


def test_a_reminder_opening_the_exercise_does_not_ask(engine: Engine) -> None:
    chat = Chat(engine)
    chat.send("/checkin")
    chat.press("7")
    turn = engine.start(chat.state, PatientView(), "checkin")
    assert "partway" not in said(turn)
    assert chat.state.current is not None and chat.state.current.variables == {}


def test_a_flow_changed_while_the_offer_waits_starts_over(tmp_path: Path) -> None:
    body = GOOD_FLOW.replace(
        "  high:", '  note:\n    text: "Why?"\n    ask: text\n    save: why\n    next: bye\n  high:'
    ).replace("go: bye\n", "go: note\n", 1)
    old = Chat(Engine(make_library(tmp_path, {"demo.yaml": body})))
    old.send("/demo")
    old.press("3")
    assert old.step == "note"
    old.send("/demo")
    assert PICK_UP in old.buttons
    v2 = body.replace("version: 1", "version: 2")
    new = Engine(make_library(tmp_path / "v2", {"demo.yaml": v2}))
    turn = new.handle(old.state, PatientView(), Inbound.press(old.buttons[PICK_UP]))
    assert "updated since you started" in said(turn)
    assert old.state.current is not None and old.state.current.step == "level"
    assert old.state.current.variables == {}


def test_after_its_entry_is_written_the_exercise_simply_starts_again(chat: Chat) -> None:
    chat.send("/checkin")
    for answer in ("7", "3", "8", "5", "3", "none", "skip", "skip", "skip"):
        turn = chat.send(answer)
    assert [r.kind for r in turn.records] == ["check_in"]
    assert chat.state.current is not None and chat.step == "offer"  # its closing question
    again = chat.send("/checkin")
    assert "partway" not in said(again) and chat.step == "mood"


def test_once_picked_up_the_offers_buttons_are_stale(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/example")
    offer = dict(chat.buttons)
    chat.press(PICK_UP)
    turn = chat.engine.handle(chat.state, PatientView(), Inbound.press(offer[START_OVER]))
    assert turn.pressed == "stale" and chat.step == "thought"
    assert chat.state.current is not None and chat.state.current.variables["feeling"] == "calm"


def test_starting_over_keeps_the_other_exercise_set_aside(chat: Chat) -> None:
    _left_midway(chat)
    chat.send("/checkin")
    chat.press("7")
    chat.send("/example")
    chat.send("from the beginning")
    assert chat.step == "feeling"
    assert [f.flow_id for f in chat.state.paused] == ["checkin"]
    chat.send("/checkin")
    chat.send("keep going")
    assert chat.state.current is not None and chat.state.current.variables["mood"] == 7


_TYPED_ANSWERS = {"text": "a few words", "number": "5", "time": "8:30 pm", "timezone": "Chicago"}


def _answer_once(chat: Chat, turn: Turn) -> Turn:
    """Answer the waiting question as a patient would: its first button, or fitting words."""
    frame = chat.state.current
    assert frame is not None
    step = chat.engine.library.flows[frame.flow_id].flow.steps[frame.step]
    answers = [
        b.token
        for m in turn.messages
        for row in m.buttons
        for b in row
        if b.token and tokens.parse(b.token).__class__ is tokens.Answer
    ]
    if answers and step.ask not in _TYPED_ANSWERS:
        return chat._do(Inbound.press(answers[0]))
    return chat.send(_TYPED_ANSWERS.get(step.ask or "text", "a few words"))


def test_every_exercise_left_after_an_answer_can_be_picked_up(engine: Engine) -> None:
    """Issue 14: every exercise can be left and resumed; none is a dead end."""
    tried = []
    for compiled in engine.library.flows.values():
        start = compiled.flow.start
        if start.command is None and start.menu is None:
            continue
        chat = Chat(engine)
        turn = _open(chat, compiled.id)
        for _ in range(6):  # until something is answered and the exercise still waits
            if chat.state.current is None or engine._midway(chat.state.frames):
                break
            turn = _answer_once(chat, turn)
        if chat.state.current is None or not engine._midway(chat.state.frames):
            continue  # ended (or never asked) before anything was worth keeping
        frame = chat.state.current
        where, kept = (frame.flow_id, frame.step), dict(frame.variables)
        chat.send("/menu")
        offer = _open(chat, chat.state.frames[0].flow_id)  # where a start_flow: led
        assert PICK_UP in chat.buttons, (compiled.id, said(offer))
        back = chat.press(PICK_UP)
        assert back.messages and chat.state.current is not None, compiled.id
        assert (chat.state.current.flow_id, chat.state.current.step) == where, compiled.id
        assert chat.state.current.variables == kept, compiled.id
        tried.append(compiled.id)
    assert len(tried) >= 15, tried


def test_an_exercise_left_midway_and_chosen_again_from_another_flow_is_offered(
    chat: Chat,
) -> None:
    _open(chat, "measures")
    chat.press("Mood (PHQ-9)")
    assert chat.state.current is not None and chat.state.current.flow_id == "phq9"
    first = chat.step
    _answer_once(chat, chat.send("/continue"))
    assert chat.step != first
    where = chat.step
    chat.send("/menu")
    _open(chat, "measures")
    offer = chat.press("Mood (PHQ-9)")  # measures' start_flow: phq9
    assert "partway" in said(offer) and chat.state.paused == []
    chat.press(PICK_UP)
    assert chat.state.current is not None and chat.state.current.flow_id == "phq9"
    assert chat.step == where


def test_a_place_past_the_first_question_is_kept_even_with_nothing_saved(chat: Chat) -> None:
    chat.send("/soothe")
    first = chat.step
    _answer_once(chat, chat.send("/continue"))
    assert chat.step != first and chat.state.current is not None
    where = chat.step
    chat.send("/menu")
    chat.send("/soothe")
    assert PICK_UP in chat.buttons
    chat.press(PICK_UP)
    assert chat.step == where


def test_continue_names_the_exercise_the_patient_started_not_the_skill_inside_it(
    chat: Chat,
) -> None:
    """TIPP opened from "I'm struggling right now", then the menu: Continue names the
    exercise the patient chose, by its menu button's words."""
    chat.send("/distress")
    chat.press("Something else")
    chat.press("9")
    chat.press("TIPP: calm the body fast")
    assert chat.state.current is not None and chat.state.current.flow_id == "tipp"
    chat.send("/menu")
    assert "↩ Continue: I'm struggling right now" in chat.buttons


def test_a_button_takes_a_title_as_it_is_and_a_message_escapes_it() -> None:
    values = {"exercise": "Pros & cons <fast>"}
    assert render_label("↩ Continue: {exercise}", values) == "↩ Continue: Pros & cons <fast>"
    assert render("Partway through {exercise}.", values) == (
        "Partway through Pros &amp; cons &lt;fast&gt;."
    )
