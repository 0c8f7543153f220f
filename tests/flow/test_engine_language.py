"""/sos and the words after a crisis answer come in the language the patient writes in."""

from __future__ import annotations

import pytest

from bot.flow.engine import Engine
from bot.shared.conversation import ConversationState, Crisis
from tests.flow.test_engine import Chat, said


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def test_sos_after_messages_in_spanish_is_in_spanish(chat: Chat) -> None:
    chat.send("hola, hoy estoy muy cansada y con mucho dolor")
    text = said(chat.send("/sos"))
    assert "Puedes comunicarte con cualquiera de estos" in text
    assert "marca 2" in text and "442-AYUDAME" in text
    assert "You reached out" not in text


def test_sos_follows_the_last_messages_not_the_first(chat: Chat) -> None:
    chat.send("hola, hoy estoy muy cansada y con mucho dolor")
    chat.send("sorry, I will write in English from now on")
    text = said(chat.send("/sos"))
    assert "You reached out" in text and "marca 2" not in text


def test_a_short_reply_keeps_the_language(chat: Chat) -> None:
    chat.send("hola, hoy estoy muy cansada y con mucho dolor")
    chat.send("ok")
    assert "marca 2" in said(chat.send("/sos"))


def test_sos_with_nothing_written_is_in_english(chat: Chat) -> None:
    assert "You reached out" in said(chat.send("/sos"))


def test_after_a_crisis_answer_in_spanish_the_exercise_waits_in_spanish(chat: Chat) -> None:
    chat.send("/reframe")
    chat.send("ya no quiero vivir, me quiero matar")
    assert isinstance(chat.state.hold, Crisis)
    turn = chat.send("gracias, voy a descansar un rato")
    text = said(turn)
    assert "Sigo aquí contigo" in text
    labels = [b.label for m in turn.messages for row in m.buttons for b in row]
    assert labels == [
        "Volver al ejercicio",
        "Ver los recursos otra vez",
        "Parar el ejercicio por ahora",
    ]
    assert "Puedes comunicarte" in said(chat.press("Ver los recursos otra vez"))


def test_after_a_crisis_answer_in_english_the_coachs_own_words(chat: Chat) -> None:
    chat.send("/reframe")
    chat.send("i want to kill myself")
    assert "I'm still here with you" in said(chat.send("thank you, i will rest for a bit"))


def test_the_language_is_kept_with_the_conversation_and_holds_no_words() -> None:
    state = ConversationState(language="es")
    stored = state.to_json()
    assert ConversationState.from_json(stored).language == "es"
    assert ConversationState.from_json({"frames": []}).language is None
