"""Rules on a step's journal records: fields saved by the flow, one shape per kind."""

from __future__ import annotations

from bot.flow.rules.facts import (
    At,
    FlowFacts,
    Report,
)
from bot.flow.schema import Step
from bot.shared.problems import did_you_mean


def check_records(name: str, step: Step, facts: FlowFacts, at: At, report: Report) -> None:
    used: list[tuple[str, tuple[str | int, ...]]] = []
    if step.record:
        fields = step.record.fields
        pairs = fields.items() if isinstance(fields, dict) else ((f, f) for f in fields)
        used.extend((var, ("record", "fields")) for _, var in pairs)
    used.extend((var, ("profile",)) for var in (step.profile or {}).values())
    for var, path in used:
        if var not in facts.saved:
            report(
                at(name, *path),
                f'in step "{name}": "{var}" is never saved in this flow'
                + did_you_mean(var, facts.saved),
            )
