"""Bring a conversation started on an older version of a flow onto the current one.

A clinician may change a flow while patients are in the middle of it. A frame continues
where its step (or the step ``migrate:`` maps it to) still exists and asks the same
question (``meaning``); otherwise the exercise restarts, or stops if the flow is gone.
"""

from __future__ import annotations

from typing import Literal

from bot.flow.library import FlowLibrary
from bot.flow.schema import Step
from bot.shared.conversation import Frame

__all__ = ["Outcome", "meaning", "reconcile_frames"]

Outcome = Literal["ok", "changed", "gone"]


def meaning(step: Step) -> str:
    """What a waiting step asks for, in a form that changes when its question changes:
    the answer kind, where it is saved, its buttons and bounds; or the flow it calls."""
    if step.call:
        return f"call:{step.call}"
    options = ",".join(o.value for o in step.options or ())
    return f"{step.ask}:{step.save or ''}:{options}:{step.min}:{step.max}"


def reconcile_frames(library: FlowLibrary, frames: list[Frame]) -> Outcome:
    """Move every frame onto its flow's current version in place; say whether that worked."""
    for frame in frames:
        compiled = library.flows.get(frame.flow_id)
        if compiled is None:
            return "gone"
        if compiled.version == frame.flow_version and frame.step in compiled.flow.steps:
            continue
        step_name = compiled.flow.migrate.get(frame.step, frame.step)
        step = compiled.flow.steps.get(step_name)
        if step is None or (frame.asks is not None and frame.asks != meaning(step)):
            return "changed"
        saved = set(compiled.facts.saved)
        frame.step = step_name
        frame.flow_version = compiled.version
        frame.variables = {k: v for k, v in frame.variables.items() if k in saved}
        frame.selection = []
    return "ok"
