"""Bring a conversation started on an older version of a flow onto the current one.

A clinician may change a flow while patients are in the middle of it. A frame continues
where its step (or the step ``migrate:`` maps it to) still exists and asks for something
the flow still saves; otherwise the exercise has to restart, or stop if the flow is gone.
"""

from __future__ import annotations

from typing import Literal

from bot.flow.library import FlowLibrary
from bot.flow.state import Frame

__all__ = ["Outcome", "reconcile_frames"]

Outcome = Literal["ok", "changed", "gone"]


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
        if step is None:
            return "changed"
        saved = set(compiled.facts.saved)
        if step.save and step.save not in saved:
            return "changed"
        frame.step = step_name
        frame.flow_version = compiled.version
        frame.variables = {k: v for k, v in frame.variables.items() if k in saved}
        frame.selection = []
    return "ok"
