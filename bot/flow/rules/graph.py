"""Rules on the whole flow's graph: every step reachable, a way out, no silent loop."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flow.rules.facts import (
    At,
    Report,
    step_targets,
)
from bot.flow.schema import Flow


def check_graph(flow: Flow, at: At, report: Report) -> None:
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
