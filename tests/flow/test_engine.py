"""The engine through its public interface: events in, turns out."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import transitions

from bot.authoring.testing import plain
from bot.flow.engine import Engine
from bot.shared.conversation import Asked, ConversationState, Crisis, PatientView
from bot.shared.messages import Inbound, Turn
from tests.flow.helpers import GOOD_FLOW, make_library

ROOT = Path(__file__).resolve().parents[2]


class Chat:
    """A patient talking to an engine, pressing buttons by their words."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state = ConversationState()
        self.buttons: dict[str, str] = {}

    def send(self, text: str) -> Turn:
        return self._do(Inbound.message(text))

    def press(self, label: str) -> Turn:
        return self._do(Inbound.press(self.buttons[label]))

    def _do(self, event: Inbound) -> Turn:
        turn = self.engine.handle(self.state, PatientView(name="Sam"), event)
        shown = {
            b.label: b.token for m in turn.messages for row in m.buttons for b in row if b.token
        }
        if turn.pressed == "replace":
            shown = {b.label: b.token for row in turn.keyboard for b in row if b.token}
        if shown:
            self.buttons = shown
        return turn

    @property
    def step(self) -> str | None:
        return self.state.current.step if self.state.current else None


def said(turn: Turn) -> str:
    return "\n".join(plain(m.text) for m in turn.messages)


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def test_flow_runs_and_records(chat: Chat) -> None:
    chat.send("/example")
    assert chat.step == "feeling"
    chat.press("Fairly calm")
    assert chat.step == "thought"
    chat.send("Nobody likes me")
    chat.send("70")
    chat.press("No")
    chat.send("8:30 pm")
    turn = chat.send("Denver")
    assert chat.state.frames == []
    (record,) = turn.records
    assert record.kind == "example_entry" and record.flow_version == 1
    assert record.data["thought"] == "Nobody likes me"
    assert record.data["checkin_time"] == "20:30" and record.data["zone"] == "America/Denver"
    assert "Nobody likes me" in said(turn)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("", "write a few words"),
        ("x" * 5000, "under 300 characters"),
        ("😀🙏", "Emoji alone"),
    ],
)
def test_bad_text_answers_get_a_reask_naming_what_is_expected(
    chat: Chat, answer: str, expected: str
) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    turn = chat.send(answer)
    assert expected in said(turn)
    assert chat.step == "thought"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("a lot", "a number here, between 0 and 100"),
        ("150", "from 0 to 100"),
        ("-3", "from 0 to 100"),
        ("nan", "a number"),
    ],
)
def test_bad_numbers_get_a_reask(chat: Chat, answer: str, expected: str) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("a thought")
    turn = chat.send(answer)
    assert expected in said(turn)
    assert chat.step == "belief"


def test_scale_out_of_range_and_word(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Anxious")
    assert "from 0 to 10" in said(chat.send("11"))
    assert "a number here" in said(chat.send("very"))
    assert chat.step == "distress"
    chat.send("seven")
    assert chat.step == "halt"


def test_call_returns_to_the_caller_with_timed_pauses(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Anxious")
    turn = chat.press("9")
    pauses = [m.pause_before for m in turn.messages]
    assert sum(pauses) >= 20 and "Breathe in" in said(turn)
    assert chat.state.current is not None and chat.state.current.flow_id == "example"
    assert chat.step == "halt"


def test_multi_choice_ticks_then_done(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Anxious")
    chat.press("3")
    turn = chat.press("Hungry")
    assert turn.pressed == "replace" and any(
        b.label == "✓ Hungry" for row in turn.keyboard for b in row
    )
    chat.press("Tired")
    chat.press("Done ✓")
    assert chat.state.current.variables["halt"] == ["hungry", "tired"]  # type: ignore[union-attr]


def test_stale_button_is_harmless(chat: Chat) -> None:
    chat.send("/example")
    old = dict(chat.buttons)
    chat.press("Fairly calm")
    step = chat.step
    turn = chat.engine.handle(chat.state, PatientView(), Inbound.press(old["Anxious"]))
    assert turn.pressed == "stale" and "has passed" in said(turn)
    assert chat.step == step


def test_command_mid_flow_then_continue(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    assert "/menu" in said(chat.send("/help"))
    turn = chat.send("/menu")
    assert "↩ Continue: Example of every feature" in chat.buttons
    turn = chat.press("↩ Continue: Example of every feature")
    assert "thought" in said(turn).lower()
    assert chat.step == "thought"


def test_starting_another_flow_pauses_the_first(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("/menu")
    chat.engine.handle(chat.state, PatientView(), Inbound.press("flow:example_breath"))
    assert chat.state.frames == []
    assert chat.state.paused and chat.state.paused[0].step == "thought"
    chat.send("/continue")
    assert chat.step == "thought"


def test_cancel_leaves_the_exercise(chat: Chat) -> None:
    chat.send("/example")
    turn = chat.send("/cancel")
    assert chat.state.frames == [] and "stopped" in said(turn)
    assert "no exercise" in said(chat.send("/cancel"))


def test_free_text_with_no_exercise_offers_the_menu(chat: Chat) -> None:
    turn = chat.send("hello")
    assert (
        any(b.token == "flow:example" for m in turn.messages for row in m.buttons for b in row)
        or turn.messages
    )


def test_one_machine_per_flow_never_per_message(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    original = transitions.Machine.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    for _ in range(20):
        chat = Chat(engine)
        chat.send("/example")
        chat.press("Anxious")
        chat.press("2")
    assert built == []


def _versioned(tmp_path: Path, version: int, body: str):  # type: ignore[no-untyped-def]
    return make_library(tmp_path, {"demo.yaml": body.replace("version: 1", f"version: {version}")})


def test_flow_change_continues_where_the_step_still_exists(tmp_path: Path) -> None:
    old = Chat(Engine(_versioned(tmp_path, 1, GOOD_FLOW)))
    old.send("/demo")
    assert old.step == "level"
    new_engine = Engine(
        _versioned(tmp_path / "v2", 2, GOOD_FLOW.replace('text: "High"', 'text: "Very high"'))
    )
    turn = new_engine.handle(old.state, PatientView(), Inbound.press(old.buttons["9"]))
    assert "Very high" in said(turn)
    assert turn.records[0].flow_version == 2


def test_flow_change_without_the_step_restarts_kindly(tmp_path: Path) -> None:
    old = Chat(Engine(_versioned(tmp_path, 1, GOOD_FLOW)))
    old.send("/demo")
    renamed = GOOD_FLOW.replace("  level:", "  strength:").replace("next: level", "next: strength")
    new_engine = Engine(_versioned(tmp_path / "v2", 2, renamed))
    turn = new_engine.handle(old.state, PatientView(), Inbound.message("5"))
    assert "updated since you started" in said(turn)
    assert old.state.current is not None and old.state.current.step == "strength"


def test_flow_change_with_migrate_maps_the_old_step(tmp_path: Path) -> None:
    old = Chat(Engine(_versioned(tmp_path, 1, GOOD_FLOW)))
    old.send("/demo")
    renamed = GOOD_FLOW.replace("  level:", "  strength:").replace("next: level", "next: strength")
    renamed = renamed.replace("steps:", "migrate:\n  level: strength\nsteps:")
    new_engine = Engine(_versioned(tmp_path / "v2", 2, renamed))
    turn = new_engine.handle(old.state, PatientView(), Inbound.message("3"))
    assert "updated" not in said(turn)
    assert turn.records and turn.records[0].data == {"level": 3}


def test_flow_removed_does_not_crash(tmp_path: Path) -> None:
    old = Chat(Engine(_versioned(tmp_path, 1, GOOD_FLOW)))
    old.send("/demo")
    other = make_library(
        tmp_path / "v2", {"other.yaml": GOOD_FLOW.replace("id: demo", "id: other")}
    )
    turn = Engine(other).handle(old.state, PatientView(), Inbound.message("5"))
    assert "no longer available" in said(turn) and old.state.frames == []


def test_patient_text_is_escaped_for_html(chat: Chat) -> None:
    chat.send("/example")
    chat.press("Fairly calm")
    chat.send("<b>I</b> & <script>")
    chat.send("50")
    chat.press("No")
    chat.send("9am")
    turn = chat.send("Chicago")
    html = "\n".join(m.text for m in turn.messages)
    assert "&lt;b&gt;I&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "<i>" in html  # the clinician's own tag survives


@pytest.mark.parametrize("package", ["bot/flow", "bot/safety"])
def test_engine_imports_neither_telegram_nor_sqlalchemy(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(("telegram", "sqlalchemy")), f"{path}: imports {name}"
    code = (
        f"import sys, importlib, pkgutil, bot.{package.split('/')[1]} as p\n"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'sqlalchemy')]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_text_typed_during_paced_cues_shows_the_question_instead_of_answering_it(
    engine: Engine,
) -> None:
    """The cues and the question after them arrive over ~30 s; a reply before the end
    answers nothing: the patient is shown the question they have not seen yet."""
    state, patient = ConversationState(), PatientView(name="Sam")
    intro = engine.handle(state, patient, Inbound(kind="command", command="breathe", at=1000.0))
    start = next(b for m in intro.messages for row in m.buttons for b in row if b.token)
    turn = engine.handle(state, patient, Inbound(kind="button", button=start.token, at=1010.0))
    paced = sum(m.pause_before for m in turn.messages)
    assert paced >= 20 and state.current is not None and state.current.step == "round_1"
    assert state.paced_until == 1010.0 + paced

    early = engine.handle(state, patient, Inbound(kind="text", text="enough", at=1015.0))
    assert "stopped the cues" in said(early)
    assert early.messages[-1].buttons, "the question comes with its buttons"
    assert state.current.step == "round_1" and state.paced_until is None

    later = engine.handle(state, patient, Inbound(kind="text", text="enough", at=1016.0))
    assert "stopped the cues" not in said(later)
    assert state.current is None or state.current.step != "round_1"


def test_text_after_the_cues_have_all_arrived_answers_the_question(engine: Engine) -> None:
    state, patient = ConversationState(), PatientView(name="Sam")
    intro = engine.handle(state, patient, Inbound(kind="command", command="breathe", at=1000.0))
    start = next(b for m in intro.messages for row in m.buttons for b in row if b.token)
    turn = engine.handle(state, patient, Inbound(kind="button", button=start.token, at=1010.0))
    after = 1010.0 + sum(m.pause_before for m in turn.messages) + 1
    answered = engine.handle(state, patient, Inbound(kind="text", text="enough", at=after))
    assert "stopped the cues" not in said(answered)
    assert state.current is None or state.current.step != "round_1"


def test_worrying_but_unclear_words_get_a_direct_question_and_a_no_returns_to_the_exercise(
    chat: Chat,
) -> None:
    chat.send("/checkin")
    asked = chat.send("I can't do this anymore")
    assert "thoughts of ending your life" in said(asked)
    assert [e.category for e in asked.safety_events] == ["concern"]
    assert "988" not in said(asked)  # a question first, not the help lines
    answered = chat.press("No, I'm not")
    assert "/sos" in said(answered)
    assert chat.step == "mood" and "0" in chat.buttons  # the check-in's question again
    assert chat.state.hold is None


@pytest.mark.parametrize("reply", ["yes", "i dont know", "Yes, I am"])
def test_anything_but_a_clear_no_to_the_direct_question_gets_the_help_lines(
    chat: Chat, reply: str
) -> None:
    chat.send("/checkin")
    chat.send("everything feels hopeless")
    turn = chat.press(reply) if reply in chat.buttons else chat.send(reply)
    assert "988" in said(turn)
    assert [e.category for e in turn.safety_events] == ["suicide"]
    assert chat.state.hold == Crisis()
    back = chat.press("Go back to the exercise")
    assert chat.step == "mood" and back.messages


def test_a_typed_no_outside_an_exercise_offers_the_menu(chat: Chat) -> None:
    chat.send("i'm such a burden to everyone")
    turn = chat.send("No, I'm not")
    assert "988" not in said(turn) and "Menu" in chat.buttons


def test_the_stored_conversation_holds_every_field_of_the_state() -> None:
    """to_json is written out by hand for speed; it must not drop a field added later."""
    from dataclasses import asdict, fields

    from bot.shared.conversation import Frame

    state = ConversationState(
        frames=[Frame("a", 2, "s", {"x": [1, {"y": 2}]}, {"x": "X"}, ["v"])],
        paused=[Frame("b", 1, "t")],
        question_number=7,
        hold=Crisis(),
        paced_until=12.5,
    )
    # Stored under the names it had before the types (turn, a hold string): old rows load.
    stored = {**asdict(state), "turn": 7, "hold": "crisis"}
    del stored["question_number"]
    assert state.to_json() == stored
    assert len(state.to_json()) == len(fields(ConversationState))
    assert ConversationState.from_json(state.to_json()) == state
    asked = ConversationState(hold=Asked("concern"))
    assert asked.to_json()["hold"] == "asked:concern"
    assert ConversationState.from_json(asked.to_json()) == asked


@pytest.mark.parametrize(
    "reply",
    [
        "I'm not sure",
        "not safe",
        "I am not okay",
        "no... actually yes",
        "never been worse",
        "nope lol",
    ],
)
def test_a_reply_that_is_not_a_clear_no_gets_the_help_lines(chat: Chat, reply: str) -> None:
    chat.send("/checkin")
    chat.send("I can't do this anymore")
    assert "988" in said(chat.send(reply))


def test_after_help_outside_an_exercise_the_next_words_are_not_taken_as_an_answer(
    chat: Chat,
) -> None:
    chat.send("i'm such a burden to everyone")
    assert "988" in said(chat.send("yes"))
    assert chat.state.hold is None
    assert "988" not in said(chat.send("thanks, I will call them"))


def test_an_exercise_button_while_the_question_is_open_gets_help_not_the_exercise(
    chat: Chat,
) -> None:
    chat.send("/checkin")
    scale_five = chat.buttons["5"]  # the check-in's own button, still on screen
    chat.send("everything feels hopeless")
    turn = chat._do(Inbound.press(scale_five))
    assert "988" in said(turn) and chat.step == "mood"


def test_worrying_words_after_a_crisis_answer_get_the_help_lines_again_not_a_question(
    chat: Chat,
) -> None:
    chat.send("/checkin")
    chat.send("I want to kill myself")
    turn = chat.send("I can't do this anymore")
    assert "988" in said(turn) and "thoughts of ending your life" not in said(turn)
    assert chat.state.hold == Crisis()


def test_the_answer_to_the_direct_question_counts_even_if_the_flow_changed_meanwhile(
    tmp_path: Path, engine: Engine
) -> None:
    chat = Chat(engine)
    chat.send("/checkin")
    chat.send("I can't do this anymore")
    chat.state.frames[0].flow_version = 0  # as if the check-in was edited since
    chat.state.frames[0].asks = "text:something_else::None:None"
    assert "988" in said(chat.send("yes"))


def test_without_a_conversation_worrying_words_and_a_yes_button_get_the_help_lines(
    engine: Engine,
) -> None:
    """Edited messages and a database that is gone cannot keep the direct question's hold."""
    worrying = engine.stateless_crisis_messages(Inbound.message("I can't do this anymore"))
    assert worrying is not None and "988" in "\n".join(m.text for m in worrying)
    pressed = engine.stateless_crisis_messages(Inbound.press("sys:asked_yes:concern"))
    assert pressed is not None and "988" in "\n".join(m.text for m in pressed)
    assert engine.stateless_crisis_messages(Inbound.message("hello")) is None
