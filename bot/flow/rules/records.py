"""Rules on a step's journal records: fields saved by the flow, one shape per kind; and on
``recall:``, which reads back only entries the same flow writes, so their fields are known."""

from __future__ import annotations

from bot.flow.rules.facts import (
    At,
    FlowFacts,
    Report,
)
from bot.flow.schema import Flow, Recall, Step
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


def recall_pairs(recall: Recall) -> list[tuple[str, str]]:
    """(entry field, answer name) for every field a ``recall:`` fills in."""
    fields = recall.fields
    return list(fields.items()) if isinstance(fields, dict) else [(f, f) for f in fields]


def check_recall(name: str, step: Step, flow: Flow, at: At, report: Report) -> None:
    """A recall reads entries this flow records, and only fields that record keeps."""
    if step.recall is None:
        return
    kind = step.recall.kind
    kept: set[str] = set()
    kinds: list[str] = []
    for other in flow.steps.values():
        if other.record is None:
            continue
        kinds.append(other.record.kind)
        if other.record.kind == kind:
            fields = other.record.fields
            kept.update(fields.keys() if isinstance(fields, dict) else fields)
    if kind not in kinds:
        report(
            at(name, "recall", "kind"),
            f'in step "{name}": recall: reads "{kind}" entries, but this flow never writes '
            f"one; a flow fills in answers only from entries it writes itself (a step with "
            f"record: kind: {kind})" + did_you_mean(kind, kinds),
        )
        return
    for entry_field, _ in recall_pairs(step.recall):
        if entry_field not in kept:
            report(
                at(name, "recall", "fields"),
                f'in step "{name}": recall: fills in "{entry_field}", which the "{kind}" '
                f"entry of this flow does not keep" + did_you_mean(entry_field, sorted(kept)),
            )
