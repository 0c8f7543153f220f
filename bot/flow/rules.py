"""The meaning rules a flow must follow beyond its shape.

Each rule returns problems with the line of the key at fault. They run on a flow that
already matched the schema, so they can rely on types and concentrate on what a clinician
can get wrong while the YAML still looks fine: a step that is never reached, an exercise
with no way out, a condition about an answer nobody asked for.

Over 300 lines: one function per group of rules over one walk of the flow; splitting it
into rules/ with a stable code per problem is the next step (issue 11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from bot.flow.conditions import Condition, ConditionError, parse_condition
from bot.flow.schema import Flow, SayItem, SayKey, SayText, Step
from bot.shared.content import Content, check_template, placeholders
from bot.shared.problems import Problem, did_you_mean
from bot.shared.yamlio import LocatedYaml

PATIENT_VARIABLES = ("patient.name", "patient.timezone", "patient.checkin_time")
NUMERIC_ASKS = {"scale", "number"}
#: Texts the engine itself needs (buttons and re-asks) and so must exist in content/.
SYSTEM_KEYS = (
    "system.yes",
    "system.no",
    "system.done",
    "system.skip",
    "system.menu_button",
    "system.continue_button",
    "system.menu_title",
    "system.stale_button",
    "system.flow_changed",
    "system.flow_gone",
    "system.retry_text",
    "system.retry_text_short",
    "system.retry_text_long",
    "system.retry_choice",
    "system.retry_multi",
    "system.retry_number",
    "system.retry_range",
    "system.retry_time",
    "system.retry_timezone",
    "system.retry_yes_no",
    "system.not_now",
    "system.cancelled",
    "system.nothing_to_cancel",
    "system.nothing_to_continue",
    "system.after_crisis",
    "system.paced_interrupted",
    "system.text_only",
    "system.private_only",
    "system.error",
    "system.stale_answer",
    "system.commands.start",
    "system.commands.menu",
    "system.commands.help",
    "system.commands.cancel",
    "system.commands.sos",
    "system.commands.book",
    "system.help",
    "system.unknown_command",
    "system.resume_button",
    "system.sos_button",
    "system.stop_button",
    "system.book_button",
    "system.choose",
    "system.book_text",
    "system.no_booking",
    "system.unavailable",
    "system.export_intro",
    "system.export_empty",
    "system.delete_confirm",
    "system.delete_button",
    "system.deleted",
    # Used by the service and the Telegram channel (bot/safety/risk.py, bot/safety/oncall.py).
    "system.building_risk",
    "system.oncall_notice",
    "system.oncall_no_name",
    "system.oncall_summary",
)
MAX_SCALE_BUTTONS = 11

#: Where a step path is in the file; saying a problem there.
At: TypeAlias = Callable[..., int]
Report: TypeAlias = Callable[[int, str], None]


@dataclass
class SavedAnswer:
    """What a flow saves under one name: the step that asks and what it accepts."""

    step: str
    ask: str | None
    options: tuple[str, ...] = ()


@dataclass
class FlowFacts:
    """What the rules learn about a flow, kept for the engine after validation."""

    saved: dict[str, SavedAnswer] = field(default_factory=dict)
    conditions: dict[tuple[str, int], Condition] = field(default_factory=dict)


def step_targets(step: Step) -> list[str]:
    """Every step this step can lead to inside its own flow."""
    targets = [o.next for o in step.options or () if o.next]
    if isinstance(step.next, str):
        targets.append(step.next)
    elif step.next:
        targets.extend(b.go for b in step.next)
    return targets


def say_items(step: Step) -> list[SayItem]:
    if step.say is None:
        return []
    return list(step.say) if isinstance(step.say, list) else [step.say]


def content_keys_of(step: Step) -> Iterator[tuple[str, str]]:
    """(key, which field) for every content key a step uses."""
    for item in say_items(step):
        if isinstance(item, str):
            yield item, "say"
        elif isinstance(item, SayKey):
            yield item.say, "say"
    for option in step.options or ():
        if option.label:
            yield option.label, "options"
    if step.retry:
        yield step.retry, "retry"


def inline_texts_of(step: Step) -> Iterator[tuple[str, str]]:
    if step.text:
        yield step.text, "text"
    for item in say_items(step):
        if isinstance(item, SayText):
            yield item.text, "say"
    for option in step.options or ():
        if option.text:
            yield option.text, "options"


def check_flow(
    flow: Flow, located: LocatedYaml, content: Content, flow_ids: Mapping[str, object]
) -> tuple[list[Problem], FlowFacts]:
    """Every meaning problem of one flow, and the facts the engine needs from it."""
    problems: list[Problem] = []
    facts = FlowFacts()
    file = located.file

    def at(*path: str | int) -> int:
        return located.line_of(("steps", *path)) if path else located.line_of(())

    def report(line: int, message: str) -> None:
        problems.append(Problem(file, line, message))

    names = list(flow.steps)
    for name, step in flow.steps.items():
        if step.save:
            facts.saved[step.save] = SavedAnswer(
                name, step.ask, tuple(o.value for o in step.options or ())
            )
            if step.ask == "yes_no":
                facts.saved[step.save].options = ("yes", "no")
        for var in step.set or {}:
            facts.saved.setdefault(var, SavedAnswer(name, None))

    if flow.first and flow.first not in flow.steps:
        report(
            located.line_of(("first",)),
            f'first: names the step "{flow.first}", which does not exist'
            + did_you_mean(flow.first, names),
        )

    for name, step in flow.steps.items():
        _check_step_shape(name, step, at, report)
        for target, path in _targets_with_paths(step):
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
        _check_conditions(name, step, facts, at, report)
        _check_texts(name, step, facts, content, at, report)
        _check_records(name, step, facts, at, report)

    if not problems:
        _check_graph(flow, at, report)
    for old, new in flow.migrate.items():
        if new not in flow.steps:
            report(
                located.line_of(("migrate", old)),
                f'migrate: "{old}" points to "{new}", which is not a step'
                + did_you_mean(new, names),
            )
    return problems, facts


def _targets_with_paths(step: Step) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    for i, option in enumerate(step.options or ()):
        if option.next:
            yield option.next, ("options", i, "next")
    if isinstance(step.next, str):
        yield step.next, ("next",)
    elif step.next:
        for i, branch in enumerate(step.next):
            yield branch.go, ("next", i, "go")


def _check_step_shape(name: str, step: Step, at: At, report: Report) -> None:
    where = f'in step "{name}": '
    modes = [m for m in ("ask", "call", "start_flow") if getattr(step, m)] + (
        ["end"] if step.end else []
    )
    if len(modes) > 1:
        report(
            at(name),
            f"{where}a step can do only one of {', '.join(modes)}; split it into two steps",
        )
        return
    mode = modes[0] if modes else None
    has_words = bool(step.say or step.text)
    if step.say and step.text:
        report(
            at(name, "text"), f"{where}use say: or text:, not both; put extra lines in a say: list"
        )
    if mode in (None, "ask") and not has_words:
        report(at(name), f"{where}the step says nothing; add say: (a content key) or text:")
    if mode in ("end", "start_flow") and step.next is not None:
        report(at(name, "next"), f"{where}a step with {mode} does not go on; remove next:")
    if mode in (None, "call") and step.next is None:
        report(
            at(name), f"{where}it is not clear where to go after this step; add next: or end: true"
        )
    if step.ask in ("choice", "multi"):
        if not step.options:
            report(at(name, "ask"), f"{where}ask: {step.ask} needs options: (the buttons)")
        else:
            values = [o.value for o in step.options]
            for i, value in enumerate(values):
                if value in values[:i]:
                    report(
                        at(name, "options", i),
                        f'{where}two buttons have the value "{value}"; make each one different',
                    )
            if step.ask == "multi" and any(o.next for o in step.options):
                report(
                    at(name, "options"),
                    f"{where}buttons of a multi choice cannot have next:; put one next: on the step",
                )
            if step.ask == "multi" and step.next is None:
                report(at(name), f"{where}add next: for after the patient presses Done")
            if step.ask == "choice" and step.next is None and not all(o.next for o in step.options):
                missing = [o.value for o in step.options if not o.next]
                report(
                    at(name, "options"),
                    f"{where}the buttons {', '.join(missing)} have no next:; add next: to them or to the step",
                )
            if (
                step.ask == "choice"
                and not step.save
                and step.next is not None
                and not isinstance(step.next, str)
            ):
                report(at(name, "save"), f"{where}branches need the answer saved; add save: NAME")
    elif step.options:
        report(at(name, "options"), f"{where}options: are only for ask: choice or ask: multi")
    if step.ask and step.ask != "choice" and not step.save:
        report(at(name, "ask"), f"{where}the answer is not saved anywhere; add save: NAME")
    if (step.min is not None or step.max is not None) and step.ask not in NUMERIC_ASKS:
        report(
            at(name, "min" if step.min is not None else "max"),
            f"{where}min: and max: are only for ask: scale or ask: number",
        )
    if step.max_length is not None and step.ask != "text":
        report(at(name, "max_length"), f"{where}max_length: is only for ask: text")
    if step.ask == "scale":
        low, high = (
            (step.min if step.min is not None else 0),
            (step.max if step.max is not None else 10),
        )
        if (
            low >= high
            or high - low + 1 > MAX_SCALE_BUTTONS
            or low != int(low)
            or high != int(high)
        ):
            report(
                at(name, "ask"),
                f"{where}a scale runs over whole numbers with at most {MAX_SCALE_BUTTONS} buttons, like min: 0 and max: 10",
            )
    if (
        step.ask == "number"
        and step.min is not None
        and step.max is not None
        and step.min >= step.max
    ):
        report(at(name, "min"), f"{where}min: must be lower than max:")
    if isinstance(step.next, list):
        for i, branch in enumerate(step.next):
            last = i == len(step.next) - 1
            if last and branch.when is not None:
                report(
                    at(name, "next", i),
                    f"{where}the last branch needs no when: so there is always a way on; add - go: STEP at the end",
                )
            if not last and branch.when is None:
                report(
                    at(name, "next", i),
                    f"{where}only the last branch may leave out when:; the branches after it would never be used",
                )


def _check_conditions(name: str, step: Step, facts: FlowFacts, at: At, report: Report) -> None:
    if not isinstance(step.next, list):
        return
    for i, branch in enumerate(step.next):
        if branch.when is None:
            continue
        line = at(name, "next", i, "when")
        try:
            condition = parse_condition(branch.when)
        except ConditionError as exc:
            report(line, f'in step "{name}": the condition "{branch.when}" cannot be read: {exc}')
            continue
        facts.conditions[(name, i)] = condition
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


def _check_texts(
    name: str, step: Step, facts: FlowFacts, content: Content, at: At, report: Report
) -> None:
    known = set(facts.saved) | set(PATIENT_VARIABLES)
    for key, where in content_keys_of(step):
        if key not in content:
            report(
                at(name, where),
                f'in step "{name}": there is no text "{key}" in content/'
                + did_you_mean(key, content.keys()),
            )
            continue
        for var in placeholders(content.get(key)):
            if var not in known:
                text = content.texts[key]
                report(
                    at(name, where),
                    f'in step "{name}": the text "{key}" ({text.file}:{text.line}) shows {{{var}}}, '
                    f"which this flow never saves" + did_you_mean(var, known),
                )
    for inline, where in inline_texts_of(step):
        problem = check_template(inline)
        if problem:
            report(at(name, where), f'in step "{name}": {problem}')
        for var in placeholders(inline):
            if var not in known:
                report(
                    at(name, where),
                    f'in step "{name}": {{{var}}} is never saved in this flow'
                    + did_you_mean(var, known),
                )


def _check_records(name: str, step: Step, facts: FlowFacts, at: At, report: Report) -> None:
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


def _check_graph(flow: Flow, at: At, report: Report) -> None:
    edges = {name: step_targets(step) for name, step in flow.steps.items()}
    reached = _reach(flow.first_step, edges)
    for name in flow.steps:
        if name not in reached:
            report(
                at(name),
                f'the step "{name}" can never be reached; point a next: at it or remove it',
            )
    terminal = {n for n, s in flow.steps.items() if s.end or s.start_flow}
    reverse: dict[str, list[str]] = {n: [] for n in flow.steps}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    can_finish: set[str] = set()
    for end in terminal:
        can_finish |= _reach(end, reverse)
    for name in reached - can_finish:
        report(
            at(name),
            f'from the step "{name}" the flow can never end (a loop with no way out); add a way to an end: true step',
        )
    asking = {n for n, s in flow.steps.items() if s.ask}
    for name in reached:
        if name not in asking and _silent_loop(name, edges, asking):
            report(
                at(name),
                f'the step "{name}" is in a loop that never waits for the patient; add a question to the loop',
            )


def _reach(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _silent_loop(start: str, edges: Mapping[str, list[str]], asking: set[str]) -> bool:
    todo = [t for t in edges.get(start, ()) if t not in asking]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if node == start:
            return True
        if node in seen:
            continue
        seen.add(node)
        todo.extend(t for t in edges.get(node, ()) if t not in asking)
    return False
