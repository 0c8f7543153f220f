"""One flow through every rule; each problem carries its rule's stable code."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flow.rules.conditions import check_conditions
from bot.flow.rules.facts import (
    COACH_FACTS,
    FlowFacts,
    Report,
    SavedAnswer,
    targets_with_paths,
)
from bot.flow.rules.graph import check_graph
from bot.flow.rules.questionnaire import check_questionnaire
from bot.flow.rules.records import check_recall, check_records, recall_pairs
from bot.flow.rules.shape import check_step_shape
from bot.flow.rules.texts import check_texts
from bot.flow.schema import Flow
from bot.shared.content import Content
from bot.shared.problems import Problem, did_you_mean
from bot.shared.yamlio import LocatedYaml


def check_flow(
    flow: Flow, located: LocatedYaml, content: Content, flow_ids: Mapping[str, object]
) -> tuple[list[Problem], FlowFacts]:
    """Every meaning problem of one flow, and the facts the engine needs from it."""
    problems: list[Problem] = []
    facts = FlowFacts()
    file = located.file

    def at(*path: str | int) -> int:
        return located.line_of(("steps", *path)) if path else located.line_of(())

    def coded(code: str) -> Report:
        def report(line: int, message: str) -> None:
            problems.append(Problem(file, line, message, code))

        return report

    report = coded("flow.reference")

    names = list(flow.steps)
    for fact, options in COACH_FACTS.items():
        facts.saved[fact] = SavedAnswer("(the coach)", "yes_no", options)
    for name, step in flow.steps.items():
        if step.save:
            facts.saved[step.save] = SavedAnswer(
                name, step.ask, tuple(o.value for o in step.options or ())
            )
            if step.ask == "yes_no":
                facts.saved[step.save].options = ("yes", "no")
        for var in step.set or {}:
            facts.saved.setdefault(var, SavedAnswer(name, None))
        if step.recall is not None:
            for _, var in recall_pairs(step.recall):
                facts.saved.setdefault(var, SavedAnswer(name, None))
                facts.recalled.add(var)
            if step.recall.found:
                facts.saved[step.recall.found] = SavedAnswer(name, "yes_no", ("yes", "no"))

    if flow.first and flow.first not in flow.steps:
        report(
            located.line_of(("first",)),
            f'first: names the step "{flow.first}", which does not exist'
            + did_you_mean(flow.first, names),
        )

    for name, step in flow.steps.items():
        check_step_shape(name, step, at, coded("step.shape"))
        for target, path in targets_with_paths(step):
            if target not in flow.steps:
                report(
                    at(name, *path),
                    f'in step "{name}": there is no step "{target}"' + did_you_mean(target, names),
                )
        for flow_field in ("call", "start_flow"):
            target = getattr(step, flow_field)
            if target and target not in flow_ids:
                report(
                    at(name, flow_field),
                    f'in step "{name}": there is no flow "{target}"'
                    + did_you_mean(target, list(flow_ids)),
                )
            if target == flow.id and flow_field == "call":
                report(at(name, "call"), f'in step "{name}": a flow cannot call itself')
        check_conditions(name, step, facts, at, coded("step.condition"))
        check_texts(name, step, facts, content, at, coded("step.text"))
        check_records(name, step, facts, at, coded("step.record"))
        check_recall(name, step, flow, at, coded("step.recall"))

    if flow.questionnaire is not None:
        check_questionnaire(
            flow.questionnaire,
            content,
            lambda *path: located.line_of(("questionnaire", *path)),
            coded("flow.questionnaire"),
        )
    if not problems:
        check_graph(flow, at, coded("flow.graph"))
    for old, new in flow.migrate.items():
        if new not in flow.steps:
            report(
                located.line_of(("migrate", old)),
                f'migrate: "{old}" points to "{new}", which is not a step'
                + did_you_mean(new, names),
            )
    return problems, facts
