"""From an idle chat every skill is at most two taps away (issue 14, "What must hold").

The reviewer's play-through counts taps, so this test counts them the way a patient makes
them, through the engine's own buttons, never by reading the flow files: with no exercise
running the patient sees the menu (they sent /menu, or wrote something the coach did not
recognise, which shows the menu too). Tap one is a menu button, tap two a button of what
it showed. Telegram's command list (the menu button beside the message box) is the other
way in: open it, tap the skill's command.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from bot.flow.engine import Engine
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Inbound, Turn
from bot.tg.command_menu import bot_commands
from tests.flow.test_engine import Chat, said

#: Flows that are not skills a patient looks for, and why they need not be two taps away.
NOT_SKILLS = {
    "onboarding": "the first conversation, /start",
    "example": "the clinicians' worked example of the flow format",
    "example_breath": "called only by the example",
    "reminders": "a setting (/reminders), not an exercise",
}

#: A skill started by name mid-sentence would surprise: STOP has no command of its own
#: (a patient typing /stop means "stop the exercise", which is /cancel), so Telegram's
#: command list cannot carry it; it is two taps away in the chat.
NO_COMMAND = {"stop_skill"}

PATIENT = PatientView(name="Sam")


def _tokens(turn: Turn) -> list[tuple[str, str]]:
    """The buttons the patient can tap after this turn, as (label, token)."""
    if turn.pressed == "replace":
        rows = turn.keyboard
    else:
        rows = tuple(row for message in turn.messages for row in message.buttons)
    return [(b.label, b.token) for row in rows for b in row if b.token]


def _running(state: ConversationState) -> str | None:
    return state.frames[-1].flow_id if state.frames else None


def _reached_in_two_taps(engine: Engine, opening: str) -> dict[str, list[str]]:
    """Every flow running after one or two taps from the menu, with the taps that got there."""
    state = ConversationState()
    menu = engine.handle(state, PATIENT, Inbound.message(opening))
    assert state.frames == [] and _tokens(menu), "the opening should show the menu, idle"
    return _reached_from(engine, state, menu)


def _reached_from(engine: Engine, state: ConversationState, shown: Turn) -> dict[str, list[str]]:
    """Every flow running after one or two taps on what ``shown`` left on screen."""
    reached: dict[str, list[str]] = {}
    for label, token in _tokens(shown):
        first = copy.deepcopy(state)
        turn = engine.handle(first, PATIENT, Inbound.press(token))
        flow = _running(first)
        if flow is not None:
            reached.setdefault(flow, [label])
        for label2, token2 in _tokens(turn):
            second = copy.deepcopy(first)
            engine.handle(second, PATIENT, Inbound.press(token2))
            flow2 = _running(second)
            if flow2 is not None:
                reached.setdefault(flow2, [label, label2])
    return reached


def _finished_breathing(engine: Engine) -> tuple[ConversationState, Turn]:
    chat = Chat(engine)
    chat.send("/breathe")
    chat.press("Start")
    turn = chat.press("That's enough for now")
    assert chat.state.frames == []
    return chat.state, turn


def _cancelled_mid_exercise(engine: Engine) -> tuple[ConversationState, Turn]:
    chat = Chat(engine)
    chat.send("/pain")
    turn = chat.send("/cancel")
    assert chat.state.frames == []
    return chat.state, turn


def _after_help(engine: Engine) -> tuple[ConversationState, Turn]:
    chat = Chat(engine)
    return chat.state, chat.send("/help")


def _skills(engine: Engine) -> set[str]:
    return set(engine.library.flows) - set(NOT_SKILLS)


@pytest.mark.parametrize("opening", ["/menu", "hello there"])
def test_every_skill_is_two_taps_from_the_menu(engine: Engine, opening: str) -> None:
    reached = _reached_in_two_taps(engine, opening)
    missing = sorted(_skills(engine) - set(reached))
    assert missing == [], f"more than two taps from the menu: {missing}"
    assert all(len(taps) <= 2 for taps in reached.values())


@pytest.mark.parametrize("ending", [_finished_breathing, _cancelled_mid_exercise, _after_help])
def test_every_skill_is_two_taps_from_where_an_exercise_leaves_the_chat(
    engine: Engine, ending: Callable[[Engine], tuple[ConversationState, Turn]]
) -> None:
    """The end of an exercise, /cancel and /help leave Menu and All the skills on screen:
    the second tap is the skill itself, not a third after the menu's list."""
    state, shown = ending(engine)
    assert [label for label, _ in _tokens(shown)] == ["Menu", "All the skills"]
    reached = _reached_from(engine, state, shown)
    # The questionnaires are not skills: they are the menu's "Questionnaires and my
    # progress", then the measure (two taps from the menu, like every skill).
    questionnaires = {f for f, c in engine.library.flows.items() if c.flow.questionnaire}
    missing = sorted(_skills(engine) - questionnaires - set(reached))
    assert missing == [], f"more than two taps from there: {missing}"


def test_the_new_skills_are_reached_through_all_the_skills(engine: Engine) -> None:
    reached = _reached_in_two_taps(engine, "/menu")
    for flow in ("activation", "opposite_action", "improve", "cope_ahead", "tipp", "stop_skill"):
        assert len(reached[flow]) <= 2, (flow, reached[flow])
    assert reached["opposite_action"] == ["All the skills", "Opposite action"]


def test_every_skill_is_in_telegrams_command_list(engine: Engine) -> None:
    """Open the command list (tap one), tap the command (tap two): the skill starts."""
    listed = {c.command for c in bot_commands(engine.library)}
    questionnaires = {f for f, c in engine.library.flows.items() if c.flow.questionnaire}
    # The questionnaires are not skills: /questionnaires lists them (and they are two taps
    # away in the chat).
    for flow_id in sorted(_skills(engine) - NO_COMMAND - questionnaires):
        command = engine.library.flows[flow_id].flow.start.command
        assert command is not None, f"{flow_id} has no command"
        assert command in listed, f"/{command} ({flow_id}) is not in Telegram's command list"
        state = ConversationState()
        engine.handle(state, PATIENT, Inbound.message(f"/{command}"))
        assert _running(state) == flow_id


def test_help_names_the_new_skills_within_600_characters(engine: Engine) -> None:
    text = said(Chat(engine).send("/help"))
    for command in ("/skills", "/activity", "/opposite", "/improve", "/copeahead"):
        assert command in text
    assert len(text) < 600
