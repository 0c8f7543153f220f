"""Compile a validated flow into one `transitions` machine shared by every conversation.

The machine holds the flow's graph: its states are the steps and its single trigger,
``advance``, carries the ordered ways on (a button's own next, then branches, then the
step's next). A conversation is not bound to the machine; for each move the engine hands
it a throw-away cursor with the current step, so one machine serves every patient and
nothing is built per message.

`transitions`' risky defaults are off: no auto ``to_<state>`` triggers, an invalid trigger
raises instead of being ignored, and conditions are callables, never dotted strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from transitions import EventData, Machine

from bot.flow.conditions import Condition
from bot.flow.schema import Flow

ADVANCE = "advance"


@dataclass
class Cursor:
    """The minimum `transitions` needs to move a conversation: where it stands."""

    state: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    choice: str | None = None


def _choice_is(value: str) -> Callable[[EventData], bool]:
    def test(event: EventData) -> bool:
        return cast(Cursor, event.model).choice == value

    return test


def _holds(condition: Condition) -> Callable[[EventData], bool]:
    def test(event: EventData) -> bool:
        return condition(cast(Cursor, event.model).variables)

    return test


def build_machine(flow: Flow, conditions: Mapping[tuple[str, int], Condition]) -> Machine:
    """One machine for one flow version."""
    transitions: list[dict[str, Any]] = []
    for name, step in flow.steps.items():
        for option in step.options or ():
            if option.next:
                transitions.append(
                    {
                        "trigger": ADVANCE,
                        "source": name,
                        "dest": option.next,
                        "conditions": [_choice_is(option.value)],
                    }
                )
        if isinstance(step.next, str):
            transitions.append({"trigger": ADVANCE, "source": name, "dest": step.next})
        elif step.next:
            for i, branch in enumerate(step.next):
                entry: dict[str, Any] = {"trigger": ADVANCE, "source": name, "dest": branch.go}
                if branch.when is not None:
                    entry["conditions"] = [_holds(conditions[(name, i)])]
                transitions.append(entry)
    return Machine(
        model=None,
        states=list(flow.steps),
        transitions=transitions,
        initial=flow.first_step,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        send_event=True,
        name=f"{flow.id}@{flow.version}",
    )


def advance(machine: Machine, step: str, variables: Mapping[str, Any], choice: str | None) -> str:
    """The step after ``step``, given the saved answers and the button pressed (if any)."""
    cursor = Cursor(state=step, variables=variables, choice=choice)
    if not machine.events[ADVANCE].trigger(cursor):
        raise RuntimeError(f"no way on from step {step!r} in {machine.name}")
    return cursor.state
