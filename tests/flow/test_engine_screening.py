"""The engine and the two-layer crisis screen together, as a patient meets them."""

from __future__ import annotations

import pytest

from bot.flow.engine import Engine
from bot.shared.conversation import Asked, ConversationState, PatientView, RecentRisk
from bot.shared.messages import Inbound
from tests.flow.test_engine import Chat, said


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def test_an_uncertain_message_gets_its_categorys_question_and_a_no_returns(chat: Chat) -> None:
    chat.send("/reframe")
    question = said(chat.send("my boss yelled at me in front of everyone"))
    turn = chat.send("my heart is racing and skipping since i took the extra shot")
    assert "take too much in the last few hours" in said(turn) and "911" in said(turn)
    assert isinstance(chat.state.hold, Asked) and chat.state.hold.category == "overdose"
    assert turn.safety_events[0].asked
    back = said(chat.press("No, nothing like that"))
    assert question.splitlines()[-1] in back


def test_a_yes_to_a_category_question_gets_that_categorys_help(chat: Chat) -> None:
    chat.state.hold = Asked("abuse")
    chat.buttons = {"Yes, I'm not safe": "sys:asked_yes:abuse"}
    help_lines = said(chat.press("Yes, I'm not safe"))
    assert "1-800-799-7233" in help_lines and "911" in help_lines
    assert chat.state.hold is None


def test_a_message_in_spanish_is_answered_in_spanish(chat: Chat) -> None:
    turn = chat.send("ya no quiero vivir, me quiero matar")
    text = said(turn)
    assert "988" in text and "marca 2" in text and "AYUDA" in text


def test_a_spanish_question_keeps_its_language_for_the_answer(chat: Chat) -> None:
    chat.send("a veces siento que ya no tiene caso nada")
    assert isinstance(chat.state.hold, Asked) and chat.state.hold.language == "es"
    assert "marca 2" in said(chat.send("si"))


WORN_DOWN = "everything feels heavy today"  # a little heavy on its own (about 0.3)


def test_a_message_read_alone_is_kept_as_numbers_for_the_next(engine: Engine) -> None:
    state = ConversationState()
    turn = engine.handle(state, PatientView(), Inbound("text", text=WORN_DOWN, at=1000.0))
    assert not turn.safety_events
    (kept,) = state.recent_risk
    assert kept.at == 1000.0 and 0.15 <= kept.probability < 0.6 and kept.category
    assert "heavy" not in str(state.to_json())


def test_messages_minutes_apart_are_read_together(engine: Engine) -> None:
    state = ConversationState(recent_risk=[RecentRisk(1000.0, 0.64, "suicide")])
    turn = engine.handle(state, PatientView(), Inbound("text", text=WORN_DOWN, at=1120.0))
    assert turn.safety_events and turn.safety_events[0].rule_id.startswith("ask:context")
    assert "wished you were dead" in said(turn)


def test_the_same_messages_an_hour_apart_are_read_alone(engine: Engine) -> None:
    state = ConversationState(recent_risk=[RecentRisk(1000.0, 0.64, "suicide")])
    turn = engine.handle(state, PatientView(), Inbound("text", text=WORN_DOWN, at=4600.0))
    assert not turn.safety_events
    assert [r.at for r in state.recent_risk] == [4600.0]


def test_a_very_low_mood_in_the_checkin_asks_directly_then_goes_on(chat: Chat) -> None:
    chat.send("/checkin")
    turn = chat.press("1")
    assert "wished you were dead" in said(turn) and turn.safety_events[0].rule_id == (
        "ask:flow:checkin.mood"
    )
    assert "How anxious" in said(chat.press("No"))


def test_a_hopeless_thought_at_seven_asks_directly_in_the_thought_record(chat: Chat) -> None:
    chat.send("/reframe")
    chat.send("alone again on a friday")
    chat.send("it will never get better")
    chat.send("80")
    chat.press("Hopeless")
    turn = chat.press("7")
    assert "wished you were dead" in said(turn)
    assert "988" in said(chat.press("Yes"))


def test_suicide_answers_ask_the_caller_for_the_plan(engine: Engine) -> None:
    turn = engine.handle(
        ConversationState(), PatientView(), Inbound.message("I want to kill myself")
    )
    assert turn.safety_plan_at == 0
    turn = engine.handle(
        ConversationState(),
        PatientView(safety_plan_html="Call Sam"),
        Inbound.message("I want to kill myself"),
    )
    assert turn.safety_plan_at is None and "Call Sam" in turn.messages[0].text


def test_leaving_an_open_question_gets_the_help_lines_first(chat: Chat) -> None:
    chat.send("a veces siento que ya no tiene caso nada")
    assert isinstance(chat.state.hold, Asked)
    turn = chat.send("/pain")
    assert "988" in said(turn) and chat.state.hold is None
    assert turn.safety_events[0].category == "suicide"
    # Leaving is no answer: the lines are not thanked for (in the patient's language).
    assert "No me quedó clara tu respuesta" in said(turn)
    assert "Thank you for telling me" not in said(turn)


def test_a_yes_is_thanked_and_an_unclear_answer_is_not(chat: Chat) -> None:
    chat.send("/checkin")
    chat.press("0")  # mood 0: the direct question
    yes = chat.press("Yes")
    assert said(yes).startswith("Thank you for telling me")
    chat.state = ConversationState()
    chat.send("/checkin")
    chat.press("0")
    unclear = chat.send("why do you ask")
    assert "988" in said(unclear) and said(unclear).startswith("I didn't get a clear answer")


def test_review_cases_get_the_answer_at_once(chat: Chat) -> None:
    for text in (
        "I'm not kidding, I want to kill myself",
        "I just took all my pills, I used to be able to handle this",
        "I didn't know what to do, my friend isn't breathing",
        "I took 30 of my sleeping pills a few minutes ago",
    ):
        turn = chat.send(text)
        assert turn.safety_events and not turn.safety_events[0].asked, text
        chat.state = ConversationState()


def _at_safer_surroundings(chat: Chat) -> None:
    chat.send("/plan")
    for _ in range(5):  # warning signs, coping, distractions, helpers, professionals
        chat.press("Skip this one")
    assert chat.state.current is not None and chat.state.current.step == "safer_surroundings"


@pytest.mark.parametrize(
    "answer",
    [
        "give my gun to my dad, and keep the bullets somewhere else",
        "put the rope in the shed and let my wife hold my pills",
    ],
)
def test_the_safety_plans_means_answers_are_not_asked_about(chat: Chat, answer: str) -> None:
    # The question asks who could keep the gun: naming it there is the plan working.
    _at_safer_surroundings(chat)
    turn = chat.send(answer)
    assert not turn.safety_events and chat.state.hold is None
    assert chat.state.current is not None and chat.state.current.step == "naloxone"


def test_a_crisis_phrase_in_the_means_answer_still_gets_the_crisis_answer(chat: Chat) -> None:
    _at_safer_surroundings(chat)
    turn = chat.send("none of that matters, i'm going to shoot myself tonight")
    assert turn.safety_events and turn.safety_events[0].category == "suicide"
    assert "988" in said(turn)


def test_the_same_means_words_elsewhere_are_still_asked_about(chat: Chat) -> None:
    chat.send("/reframe")
    turn = chat.send("give my gun to my dad, and keep the bullets somewhere else")
    assert turn.safety_events and turn.safety_events[0].asked
