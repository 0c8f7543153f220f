"""`coach chat --flow ID --from STEP --set name=value`: try one part of a flow directly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.authoring.tryout import TryoutError, check_tryout, parse_variables
from bot.coach.build import build_library
from bot.config import Settings
from bot.flow.engine import Engine
from bot.shared.conversation import ConversationState, PatientView

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def library():  # type: ignore[no-untyped-def]
    return build_library(Settings(flows_dir=ROOT / "flows", content_dir=ROOT / "content"))


def test_values_read_like_yaml_and_yes_no_stay_words() -> None:
    assert parse_variables(
        ["distress=9", "feeling=anxious", "share=yes", "halt=[hungry, tired]", "w=2.5"]
    ) == {
        "distress": 9,
        "feeling": "anxious",
        "share": "yes",
        "halt": ["hungry", "tired"],
        "w": 2.5,
    }
    assert parse_variables(["thought=I can't: really"]) == {"thought": "I can't: really"}


@pytest.mark.parametrize(
    ("pairs", "words"),
    [(["distress"], "--set distress=8"), (["=3"], "needs a name"), (["Distress=3"], "lowercase")],
)
def test_a_malformed_set_says_what_to_write(pairs: list[str], words: str) -> None:
    with pytest.raises(TryoutError, match=words):
        parse_variables(pairs)


def test_unknown_step_and_missing_flow_are_explained(library) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TryoutError, match='no step "distres" \\(did you mean "distress"\\?\\)'):
        check_tryout(library, "example", "distres", {})
    with pytest.raises(TryoutError, match="--from needs --flow"):
        check_tryout(library, None, "distress", {})
    with pytest.raises(TryoutError, match="--set needs --from"):
        check_tryout(library, "example", None, {"a": 1})
    earlier = {"belief": 60, "distress": 8, "feeling": "anxious", "thought": "x"}
    notes = check_tryout(library, "example", "share", {"belif": 3, **earlier})
    assert notes == [
        'note: the flow "example" never saves "belif" (did you mean "belief"?)',
        "note: the journal entry or profile will have no halt (--set them to fill them in)",
    ]


def test_from_without_the_answers_it_needs_says_which_are_missing(library) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TryoutError) as raised:
        check_tryout(library, "example", "share", {"belief": 60, "feeling": "anxious"})
    assert str(raised.value) == (
        'Starting "example" at "share" needs what earlier steps would have saved: '
        "distress, thought. Add --set distress=... --set thought=..."
    )
    # The coach's own facts (coach_oncall) are never asked for; a shown answer is.
    with pytest.raises(TryoutError, match=r"would have saved: name\. Add --set name=\.\.\.$"):
        check_tryout(library, "onboarding", "checkins", {})


def test_start_at_runs_the_step_with_the_given_answers(library) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(library)
    state = ConversationState()
    turn = engine.start_at(
        state, PatientView(), "example", "summary", {"feeling": "anxious", "distress": 9}
    )
    assert "anxious (9/10)" in turn.messages[0].text
    assert turn.records and turn.records[0].data["distress"] == 9
    assert not state.frames  # the flow ran to its end


def test_chat_from_a_step_through_the_terminal(suite_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": suite_database_url}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "chat",
            "--flow",
            "example",
            "--from",
            "distress",
            "--set",
            "feeling=anxious",
        ],
        input="9\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("coach> How strong is that feeling"), done.stdout
    assert "slow down with a few breaths" in done.stdout  # the branch read the given feeling
    assert "Traceback" not in done.stderr and "transitions" not in done.stderr

    wrong = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--flow", "example", "--from", "distres"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert wrong.returncode == 2 and 'did you mean "distress"' in wrong.stderr
