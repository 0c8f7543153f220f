"""A direct question left unanswered expires: the help lines are offered again, gently,
and the next message is read on its own (never a silent drop, never a lost crisis)."""

from __future__ import annotations

import time

import pytest

from bot.flow.engine import Engine
from bot.flow.engine.crisis import ASKED_EXPIRES_SECONDS
from bot.shared.conversation import Asked, ConversationState, PatientView
from bot.shared.messages import Inbound, Turn
from tests.flow.test_engine import said

WORRYING = "I can't do this anymore"  # earns the direct question about suicide
LATER = ASKED_EXPIRES_SECONDS + 60


class TimedChat:
    """A patient whose messages carry the time they were sent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state = ConversationState()

    def send(self, text: str, at: float) -> Turn:
        event = Inbound("text", text=text, at=at)
        return self.engine.handle(self.state, PatientView(name="Sam"), event)

    def press(self, token: str, at: float) -> Turn:
        event = Inbound("button", button=token, at=at)
        return self.engine.handle(self.state, PatientView(name="Sam"), event)


@pytest.fixture
def chat(engine: Engine) -> TimedChat:
    return TimedChat(engine)


def _asked(chat: TimedChat, at: float) -> None:
    turn = chat.send(WORRYING, at)
    assert isinstance(chat.state.hold, Asked) and chat.state.asked_at == at
    assert "988" not in said(turn)


def test_a_reply_in_time_is_the_answer(chat: TimedChat) -> None:
    _asked(chat, 1000.0)
    text = said(chat.send("going to make dinner now", 1000.0 + 60))
    assert "988" in text and "A while ago I asked" not in text


def test_a_message_after_the_question_expired_gets_the_lines_again_then_goes_on(
    chat: TimedChat,
) -> None:
    _asked(chat, 1000.0)
    turn = chat.send("going to make dinner now", 1000.0 + LATER)
    text = said(turn)
    assert text.startswith("A while ago I asked how you were doing")
    assert "988" in text and "741741" in text
    assert chat.state.hold is None and chat.state.asked_at is None
    (event,) = turn.safety_events
    assert (event.category, event.rule_id) == ("suicide", "ask:expired:concern")
    # The message itself was read on its own: outside an exercise, the menu.
    assert turn.messages[-1].buttons


def test_a_late_yes_still_gets_the_help(chat: TimedChat) -> None:
    _asked(chat, 1000.0)
    text = said(chat.press("sys:asked_yes:concern", 1000.0 + LATER))
    assert "988" in text and "A while ago I asked" not in text


def test_a_crisis_after_expiry_gets_the_full_answer_once(chat: TimedChat) -> None:
    _asked(chat, 1000.0)
    turn = chat.send("i want to kill myself", 1000.0 + LATER)
    text = said(turn)
    assert "A while ago I asked" not in text
    assert text.count("988 Suicide") == 1


def test_a_message_that_earns_a_question_after_expiry_gets_the_lines_and_the_question(
    chat: TimedChat,
) -> None:
    _asked(chat, 1000.0)
    turn = chat.send(WORRYING, 1000.0 + LATER)
    text = said(turn)
    assert "A while ago I asked" in text and "988" in text
    assert isinstance(chat.state.hold, Asked) and chat.state.asked_at == 1000.0 + LATER


def test_in_spanish_the_lines_come_again_in_spanish(chat: TimedChat) -> None:
    turn = chat.send("a veces siento que ya no tiene caso nada", 1000.0)
    assert isinstance(chat.state.hold, Asked) and chat.state.hold.language == "es"
    text = said(chat.send("voy a hacer la cena con mis hijos", 1000.0 + LATER))
    assert text.startswith("Hace un rato te pregunté") and "marca 2" in text
    assert turn.messages


def test_expiry_in_real_time(engine: Engine) -> None:
    engine.asked_expires_seconds = 1.0
    try:
        chat = TimedChat(engine)
        _asked(chat, time.time())
        assert "A while ago" not in said(chat.send("ok", time.time()))
        _asked(chat, time.time())
        time.sleep(1.2)
        assert "A while ago I asked" in said(chat.send("ok", time.time()))
    finally:
        del engine.asked_expires_seconds
