"""Every branch of every shipped flow is taken by a conversation test in flows/tests/.

A branch is a way from one step to the next that the flow file writes down: an option's
``next:``, or one ``go:`` of a step's ``next:`` list. The conversation tests run through the
real engine while each move from step to step is noted; a branch no script takes is named
with its flow and steps, so the clinician knows which script to add (docs/authoring.md,
"Test a flow"). A flow's plain ``next: step`` needs no test of its own: whatever enters the
step takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.authoring.testing import conversation_test_files, run_test_file
from bot.flow.engine import Engine, runner
from bot.flow.library import FlowLibrary

ROOT = Path(__file__).resolve().parents[2]
Branch = tuple[str, str, str]  # (flow, from step, to step)


def written_branches(library: FlowLibrary) -> set[Branch]:
    found: set[Branch] = set()
    for flow_id, compiled in library.flows.items():
        for name, step in compiled.flow.steps.items():
            for option in step.options or ():
                if option.next:
                    found.add((flow_id, name, option.next))
            if isinstance(step.next, list):
                found.update((flow_id, name, branch.go) for branch in step.next)
    return found


@pytest.fixture
def taken(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], set[Branch]]]:
    """Runs every conversation test and returns the branches they took."""
    flow_of = {id(c.machine): flow_id for flow_id, c in engine.library.flows.items()}
    moves: set[Branch] = set()
    real = runner.advance

    def noted(machine: Any, step: str, facts: Any, choice: Any) -> str:
        following = real(machine, step, facts, choice)
        moves.add((flow_of.get(id(machine), "?"), step, following))
        return following

    monkeypatch.setattr(runner, "advance", noted)

    def run() -> set[Branch]:
        for path in conversation_test_files(ROOT / "flows" / "tests"):
            failed = [r for r in run_test_file(engine, path) if not r.passed]
            assert not failed, f"{path.name}: {[r.name for r in failed]} failed"
        return moves

    yield run


def test_every_branch_of_every_flow_is_taken_by_a_conversation_test(
    engine: Engine, taken: Callable[[], set[Branch]]
) -> None:
    missing = sorted(written_branches(engine.library) - taken())
    listed = "\n".join(f"  {flow}: {start} -> {end}" for flow, start, end in missing)
    assert not missing, f"add a script to flows/tests/<flow>.yaml for each:\n{listed}"
