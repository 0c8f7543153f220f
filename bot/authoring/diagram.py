"""Mermaid diagrams of flows, so a clinician sees a flow's shape at a glance.

`coach diagram` writes one ``docs/flows/<flow>.md`` per flow; GitHub and most editors
draw the ```mermaid block. Every edge is labelled (a button's words, a condition,
"otherwise", "then", a call), and the output is deterministic so a test can tell when a
committed diagram no longer matches its flow.

The diagram is drawn from the validated flow rather than with `transitions`' GraphMachine:
the shared machines have no model, and their edges carry closures where a reader needs
the button's words and the condition as written.
"""

from __future__ import annotations

from pathlib import Path

from bot.authoring.testing import plain
from bot.flow.library import CompiledFlow, FlowLibrary
from bot.flow.schema import Step
from bot.shared.content import Content

DIAGRAM_DIR = "docs/flows"
LABEL_LIMIT = 40


def diagram_path(docs_dir: Path, flow_id: str) -> Path:
    return docs_dir / f"{flow_id}.md"


def diagram_markdown(compiled: CompiledFlow, content: Content) -> str:
    """The whole ``docs/flows/<flow>.md`` for one flow."""
    flow = compiled.flow
    source = f"flows/{Path(compiled.file).name}"
    return (
        f"# {flow.title}\n\n"
        f"{flow.description.strip()}\n\n"
        f"Flow `{flow.id}`, version {flow.version}, from `{source}`. "
        "Drawn by `coach diagram`; do not edit by hand, run `coach diagram` after changing the flow.\n\n"
        "```mermaid\n" + mermaid(compiled, content) + "```\n"
    )


def mermaid(compiled: CompiledFlow, content: Content) -> str:
    """A Mermaid flowchart: steps as boxes (questions rounded), every edge labelled."""
    flow = compiled.flow
    lines = ["flowchart TD"]
    start = (
        " or ".join(
            part
            for part in (
                f"/{flow.start.command}" if flow.start.command else "",
                "menu button" if flow.start.menu else "",
            )
            if part
        )
        or "called by another flow"
    )
    lines.append(f'  start(["{_escape(start)}"])')
    lines.append(f'  start -->|"starts"| {_node(flow.first_step)}')
    others: set[str] = set()
    ends = False
    for name, step in flow.steps.items():
        lines.append(f"  {_box(name, step)}")
        for target, label, arrow in _edges(step, content):
            if target.startswith("flow:"):
                others.add(target[5:])
                target = _flow_node(target[5:])
            elif target == "(end)":
                ends = True
                target = "finish"
            else:
                target = _node(target)
            lines.append(f'  {_node(name)} {arrow}|"{_escape(label)}"| {target}')
    for other in sorted(others):
        lines.append(f'  {_flow_node(other)}[["flow {_escape(other)}"]]')
    if ends:
        lines.append('  finish((("end")))')
    return "\n".join(lines) + "\n"


def _edges(step: Step, content: Content) -> list[tuple[str, str, str]]:
    """(target, label, arrow) for every way out of a step, in the order they are tried."""
    edges: list[tuple[str, str, str]] = []
    own_next = False
    for option in step.options or ():
        if option.next:
            own_next = True
            words = option.text if option.text is not None else _text(content, option.label)
            edges.append((option.next, f"button: {_short(words)}", "-->"))
    if step.call:
        edges.append((f"flow:{step.call}", "calls, then comes back", "-.->"))
    if step.start_flow:
        edges.append((f"flow:{step.start_flow}", "moves on to", "==>"))
    if isinstance(step.next, str):
        if step.call:
            label = f"after {step.call}"
        elif own_next:
            label = "other buttons"
        elif step.ask:
            label = "after the answer"
        else:
            label = "then"
        edges.append((step.next, label, "-->"))
    elif step.next:
        for branch in step.next:
            label = f"if {branch.when}" if branch.when is not None else "otherwise"
            edges.append((branch.go, label, "-->"))
    if step.end:
        edges.append(("(end)", "ends", "-->"))
    return edges


def _box(name: str, step: Step) -> str:
    if step.ask:
        detail = f"asks: {step.ask}" + (f", saves {step.save}" if step.save else "")
        return f'{_node(name)}("{_escape(name)}<br/><small>{_escape(detail)}</small>")'
    extras = [word for word, on in (("journal", step.record), ("profile", step.profile)) if on]
    detail = f"<br/><small>writes {_escape(' and '.join(extras))}</small>" if extras else ""
    return f'{_node(name)}["{_escape(name)}{detail}"]'


def _node(step_name: str) -> str:
    return f"s_{step_name}"  # a prefix keeps Mermaid's own words (end, graph...) out of ids


def _flow_node(flow_id: str) -> str:
    return f"f_{flow_id}"


def _text(content: Content, key: str | None) -> str:
    return content.get(key) if key and key in content else (key or "")


def _short(words: str) -> str:
    text = " ".join(plain(words).split())
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


def _escape(text: str) -> str:
    """Mermaid's entity codes for the characters that end or confuse a quoted label."""
    for char, code in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("|", "#124;"),
    ):
        text = text.replace(char, code)
    return text


def all_diagrams(
    library: FlowLibrary, docs_dir: Path, only: list[str] | None = None
) -> dict[Path, str]:
    """Every diagram file's path and text (or just those of ``only``)."""
    ids = sorted(only) if only else sorted(library.flows)
    return {
        diagram_path(docs_dir, flow_id): diagram_markdown(library.flows[flow_id], library.content)
        for flow_id in ids
    }
