"""Load every flow and all content at once, and report every problem found.

A clinician fixing flows wants the whole list, not the first error; and one broken flow
must not stop the others from running. So loading collects problems per file, keeps the
flows that passed, and leaves the decision (refuse to start, or run without that flow)
to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from transitions import Machine

from bot.flow.machine import build_machine
from bot.flow.questionnaire_steps import with_questionnaire_steps
from bot.flow.rules import SYSTEM_KEYS, FlowFacts, check_flow
from bot.flow.schema import Flow
from bot.flow.schema_errors import schema_problems
from bot.shared.content import Content, load_content
from bot.shared.problems import Problem, did_you_mean
from bot.shared.yamlio import LocatedYaml, read_yaml

#: Commands the channel answers itself; a flow may not take them over.
RESERVED_COMMANDS = frozenset(
    {
        "menu",
        "help",
        "cancel",
        "sos",
        "book",
        "reload",
        "export",
        "delete",
        "continue",
        "progress",
        "sharing",  # the service answers it (bot.coach.sharing)
    }
)


@dataclass
class CompiledFlow:
    """A flow that passed validation, with its shared machine."""

    flow: Flow
    file: str
    facts: FlowFacts
    machine: Machine

    @property
    def id(self) -> str:
        return self.flow.id

    @property
    def version(self) -> int:
        return self.flow.version

    @property
    def keeps_answers(self) -> bool:
        """Writes a journal entry or the profile, so it may run only for a patient who
        agreed to storage; the flow that asks for that agreement (its profile keeps
        ``consent``) is the exception, as it is how they agree."""
        steps = self.flow.steps.values()
        if any("consent" in (step.profile or {}) for step in steps):
            return False
        return any(step.record is not None or step.profile for step in steps)


@dataclass
class FlowLibrary:
    """Every usable flow by id, all content, and the problems of what did not load."""

    flows: dict[str, CompiledFlow] = field(default_factory=dict)
    content: Content = field(default_factory=Content)
    problems: list[Problem] = field(default_factory=list)

    def by_command(self, command: str) -> CompiledFlow | None:
        for compiled in self.flows.values():
            if compiled.flow.start.command == command:
                return compiled
        return None

    def menu(self) -> list[CompiledFlow]:
        """The menu's flows in the order their words are written in content/ (menu.yaml).

        Clinicians order the menu by ordering that file, so "I'm struggling right now" can
        come first; flows are loaded in file-name order, which says nothing about priority.
        """
        shown = [c for c in self.flows.values() if c.flow.start.menu]

        def written(compiled: CompiledFlow) -> tuple[str, int]:
            text = self.content.texts[compiled.flow.start.menu or ""]
            return (text.file, text.line)

        return sorted(shown, key=written)

    def beside_menu(self) -> list[CompiledFlow]:
        """The flows whose button goes beside Menu (``start.beside_menu``), in menu order."""
        return [c for c in self.menu() if c.flow.start.beside_menu]

    def answers_command(self, command: str) -> bool:
        """Whether /command is the coach's own or starts a flow that loaded."""
        return command in RESERVED_COMMANDS or self.by_command(command) is not None


def flow_files(flows_dir: Path) -> list[Path]:
    return sorted(p for p in flows_dir.glob("*.yaml") if p.is_file())


def _display(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def load_library(
    flows_dir: Path, content_dir: Path, root: Path | None = None, files: list[Path] | None = None
) -> FlowLibrary:
    """Read, validate and compile every flow in ``flows_dir`` (or ``files``) against ``content_dir``."""
    root = root or Path.cwd()
    library = FlowLibrary()
    library.content, content_problems = load_content(content_dir, root)
    library.problems.extend(content_problems)
    if content_dir.is_dir():
        for key in SYSTEM_KEYS:
            if key not in library.content:
                library.problems.append(
                    Problem(
                        _display(content_dir / "system.yaml", root),
                        1,
                        f'the engine needs the text "{key}"; add it to content/system.yaml',
                    )
                )
    if files is None and not flows_dir.is_dir():
        library.problems.append(Problem(str(flows_dir), 1, "the flows folder does not exist"))
        return library

    parsed: list[tuple[Flow, LocatedYaml]] = []
    for path in files if files is not None else flow_files(flows_dir):
        flow, located, problems = parse_flow_file(path, _display(path, root))
        library.problems.extend(problems)
        if flow is not None and located is not None:
            parsed.append((flow, located))

    ids: dict[str, LocatedYaml] = {}
    commands: dict[str, str] = {}
    unique: list[tuple[Flow, LocatedYaml]] = []
    for flow, located in parsed:
        if flow.id in ids:
            first = ids[flow.id]
            library.problems.append(
                Problem(
                    located.file,
                    located.line_of(("id",)),
                    f'the flow id "{flow.id}" is already used by {first.file}; choose another id',
                )
            )
            continue
        ids[flow.id] = located
        command = flow.start.command
        line = located.line_of(("start", "command"))
        if command in RESERVED_COMMANDS:
            library.problems.append(
                Problem(
                    located.file,
                    line,
                    f"/{command} belongs to the coach itself; choose another command",
                )
            )
        elif command and command in commands:
            library.problems.append(
                Problem(
                    located.file,
                    line,
                    f'/{command} already starts the flow "{commands[command]}"; choose another',
                )
            )
        elif command:
            commands[command] = flow.id
        unique.append((flow, located))

    beside: list[str] = []
    for flow, located in unique:
        problems, facts = check_flow(flow, located, library.content, ids)
        if flow.start.menu and flow.start.menu not in library.content:
            problems.append(
                Problem(
                    located.file,
                    located.line_of(("start", "menu")),
                    f'there is no text "{flow.start.menu}" in content/'
                    + did_you_mean(flow.start.menu, library.content.keys()),
                )
            )
        problems.extend(_beside_menu_problems(flow, located, beside))
        if problems:
            library.problems.extend(problems)
            continue
        library.flows[flow.id] = CompiledFlow(
            flow, located.file, facts, build_machine(flow, facts.conditions)
        )

    _drop_broken_callers(library, {f.id: loc for f, loc in unique})
    library.problems.sort()
    return library


#: Menu and at most this many more on one row: what a phone shows without squeezing.
MAX_BESIDE_MENU = 2


def _beside_menu_problems(flow: Flow, located: LocatedYaml, beside: list[str]) -> list[Problem]:
    """``start.beside_menu`` needs the button's words, and a row has room for two more."""
    if not flow.start.beside_menu:
        return []
    line = located.line_of(("start", "beside_menu"))
    if not flow.start.menu:
        return [
            Problem(
                located.file,
                line,
                "beside_menu shows the flow's menu button, so the flow needs one: "
                "add menu: with the button's words",
            )
        ]
    if len(beside) >= MAX_BESIDE_MENU:
        return [
            Problem(
                located.file,
                line,
                f"only {MAX_BESIDE_MENU} flows may have beside_menu ({', '.join(beside)} "
                "already do); remove it from one of them",
            )
        ]
    beside.append(flow.id)
    return []


def parse_flow_file(
    path: Path, shown: str
) -> tuple[Flow | None, LocatedYaml | None, list[Problem]]:
    """YAML and schema stage for one file."""
    from bot.shared.problems import ProblemsFound

    try:
        located = read_yaml(path, shown)
    except ProblemsFound as exc:
        return None, None, list(exc.problems)
    if not isinstance(located.data, dict):
        return None, located, [Problem(shown, 1, "a flow file starts with id:, title:, and steps:")]
    try:
        return with_questionnaire_steps(Flow.model_validate(located.data)), located, []
    except ValidationError as exc:
        return None, located, schema_problems(exc, located)


def _drop_broken_callers(library: FlowLibrary, located: dict[str, Any]) -> None:
    """A flow that calls or starts a flow that failed to load cannot run either."""
    changed = True
    while changed:
        changed = False
        for flow_id, compiled in list(library.flows.items()):
            for name, step in compiled.flow.steps.items():
                target = step.call or step.start_flow
                if target and target not in library.flows:
                    loc = located[flow_id]
                    field_name = "call" if step.call else "start_flow"
                    library.problems.append(
                        Problem(
                            loc.file,
                            loc.line_of(("steps", name, field_name)),
                            f'in step "{name}": the flow "{target}" has problems, so this flow cannot run until they are fixed',
                        )
                    )
                    del library.flows[flow_id]
                    changed = True
                    break
