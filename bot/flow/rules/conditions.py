"""Rules on a step's branch conditions: they parse, and compare answers the flow saves."""

from __future__ import annotations

from bot.flow.conditions import Condition, ConditionError, parse_condition
from bot.flow.rules.facts import (
    NUMERIC_ASKS,
    At,
    FlowFacts,
    Report,
)
from bot.flow.schema import Step
from bot.shared.problems import did_you_mean


def check_conditions(name: str, step: Step, facts: FlowFacts, at: At, report: Report) -> None:
    """Every branch condition of ``name``, and its ``screen:`` condition."""
    if isinstance(step.next, list):
        for i, branch in enumerate(step.next):
            if branch.when is None:
                continue
            condition = _check(name, branch.when, facts, at(name, "next", i, "when"), report)
            if condition is not None:
                facts.conditions[(name, i)] = condition
    if step.screen is not None:
        condition = _check(name, step.screen.when, facts, at(name, "screen", "when"), report)
        if condition is not None:
            facts.screens[name] = condition


def _check(name: str, source: str, facts: FlowFacts, line: int, report: Report) -> Condition | None:
    try:
        condition = parse_condition(source)
    except ConditionError as exc:
        report(line, f'in step "{name}": the condition "{source}" cannot be read: {exc}')
        return None
    for comparison in condition.comparisons:
        saved = facts.saved.get(comparison.name)
        if saved is None:
            report(
                line,
                f'in step "{name}": the condition uses "{comparison.name}", which no step saves'
                + did_you_mean(comparison.name, facts.saved),
            )
            continue
        numeric = saved.ask in NUMERIC_ASKS
        for value in comparison.values:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if numeric and not is_number:
                report(
                    line,
                    f'in step "{name}": "{comparison.name}" is a number; compare it with a number, not "{value}"',
                )
            elif saved.options and str(value) not in saved.options:
                report(
                    line,
                    f'in step "{name}": "{value}" is not a button value of step "{saved.step}"'
                    + did_you_mean(str(value), saved.options),
                )
            elif saved.ask in ("text", "time", "timezone") and comparison.op not in (
                "is set",
                "is not set",
            ):
                report(
                    line,
                    f'in step "{name}": "{comparison.name}" is free text; only "is set" or "is not set" can be tested',
                )
        if comparison.op in ("<", "<=", ">", ">=") and not numeric and saved.ask is not None:
            report(
                line,
                f'in step "{name}": "{comparison.name}" is not a number, so it cannot be compared with {comparison.op}',
            )
        if comparison.op == "contains" and saved.ask != "multi":
            report(
                line,
                f'in step "{name}": contains works on a multi choice; "{comparison.name}" is not one (use ==)',
            )
    return condition
