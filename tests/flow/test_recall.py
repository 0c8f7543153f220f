"""recall: fills in answers from the patient's latest entry of a kind; a skipped question
keeps what it filled in; and its mistakes are named the way a clinician can fix them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.flow.engine import Engine
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Inbound
from tests.flow.helpers import make_library

CONTENT = {
    "notes.yaml": """
    ask_a: "First?"
    ask_b: "Second?"
    shown: "Saved: {a} / {b}"
    done: "Now: {a} / {b}"
    """
}
FLOW = """
id: notes
title: Notes
description: Two notes, kept.
version: 1
start:
  command: notes
steps:
  open:
    recall: {kind: notes, fields: [a, b], found: had}
    next:
      - when: "had == yes"
        go: shown
      - go: a
  shown:
    say: notes.shown
    next: a
  a:
    say: notes.ask_a
    ask: text
    save: a
    optional: true
    next: b
  b:
    say: notes.ask_b
    ask: text
    save: b
    optional: true
    next: done
  done:
    say: notes.done
    record: {kind: notes, fields: [a, b]}
    end: true
"""


def engine(tmp_path: Path, flow: str = FLOW) -> Engine:
    library = make_library(tmp_path, {"notes.yaml": flow}, CONTENT)
    assert not library.problems, library.problems
    return Engine(library)


def skip_token(turn: Any) -> str:
    return next(b.token for m in turn.messages for row in m.buttons for b in row if b.token)


def test_a_skip_keeps_the_recalled_answer_and_the_record_is_whole(tmp_path: Path) -> None:
    saved = {"notes": {"a": "old a", "b": "old b"}}
    patient = PatientView(latest_entry=saved.get)
    chat, state = engine(tmp_path), ConversationState()
    first = chat.handle(state, patient, Inbound.message("/notes"))
    assert "Saved: old a / old b" in first.messages[0].text
    chat.handle(state, patient, Inbound.press(skip_token(first)))
    last = chat.handle(state, patient, Inbound.message("new b"))
    assert "Now: old a / new b" in last.messages[0].text
    (record,) = last.records
    assert record.data == {"a": "old a", "b": "new b"}


def test_without_an_entry_or_a_reader_it_starts_empty(tmp_path: Path) -> None:
    chat = engine(tmp_path)
    for patient in (PatientView(), PatientView(latest_entry={}.get)):
        state = ConversationState()
        turn = chat.handle(state, patient, Inbound.message("/notes"))
        assert [m.text for m in turn.messages] == ["First?"]
        assert state.frames[-1].variables == {"had": "no"}


def problems(tmp_path: Path, flow: str) -> list[str]:
    library = make_library(tmp_path, {"notes.yaml": flow}, CONTENT)
    return [f"{p.line}: {p.message} [{p.code}]" for p in library.problems]


def test_a_kind_the_flow_never_writes_is_named(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, FLOW.replace("recall: {kind: notes", "recall: {kind: note"))
    assert problem.startswith(
        '10: in step "open": recall: reads "note" entries, but this flow never writes one; '
        "a flow fills in answers only from entries it writes itself (a step with record: "
        "kind: note)"
    )
    assert '"notes"' in problem and problem.endswith("[step.recall]")


def test_a_field_the_entry_does_not_keep_is_named(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, FLOW.replace("fields: [a, b], found", "fields: [a, c], found"))
    assert 'recall: fills in "c", which the "notes" entry of this flow does not keep' in problem
    assert problem.endswith("[step.recall]")


def test_a_recall_step_may_say_nothing_but_other_steps_still_must(tmp_path: Path) -> None:
    silent = FLOW.replace("  shown:\n    say: notes.shown\n", "  shown:\n")
    (problem,) = problems(tmp_path, silent)
    assert 'in step "shown": the step says nothing' in problem
