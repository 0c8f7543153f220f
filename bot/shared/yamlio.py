"""Read YAML written by hand, keeping the line of every key.

PyYAML's safe loader forgets where values came from and silently keeps the last of two
duplicate keys. Clinicians need both: errors that point at a line, and a duplicate key
reported rather than half of their text vanishing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.shared.problems import Problem, ProblemsFound

Path_ = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    """Plain data from a YAML file plus the 1-based line of each path inside it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path | str, display_name: str | None = None) -> LocatedYaml:
    """Parse ``path``; raise ProblemsFound with file and line on any syntax problem."""
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemsFound(
            [Problem(name, 1, f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8")]
        ) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, file: str) -> LocatedYaml:
    """Parse YAML text; see :func:`read_yaml`."""
    try:
        root = yaml.compose(text, Loader=_ClinicianLoader)
    except yaml.MarkedYAMLError as exc:
        raise ProblemsFound([_syntax_problem(file, text, exc)]) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML parse error is marked
        raise ProblemsFound([Problem(file, 1, f"the YAML could not be read: {exc}")]) from exc
    located = LocatedYaml(file=file, data=None)
    if root is None:
        located.lines[()] = 1
        return located
    problems: list[Problem] = []
    too_big = _expansion_problem(root, file)
    if too_big is not None:
        raise ProblemsFound([too_big])
    located.data = _build(root, (), located, problems)
    if problems:
        raise ProblemsFound(problems)
    return located


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line + 1) if mark else 1
    source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    what = (exc.problem or "").strip()
    if "\t" in source_line or "tab" in what.lower():
        hint = "a tab character is used for indentation; indent with spaces only"
    elif "mapping values are not allowed" in what:
        hint = (
            "a colon is in an unexpected place; if a text contains ': ', put the whole "
            'text in double quotes, like text: "Note: breathe slowly"'
        )
    elif "expected <block end>" in what or "did not find expected key" in what:
        hint = "the indentation does not line up; keys of the same item start in the same column"
    elif "found character" in what and "cannot start any token" in what:
        hint = f"{what}; put the text in double quotes"
    else:
        hint = what or "the YAML could not be read"
    return Problem(file, line, f"YAML syntax: {hint}")


#: More values than any flow or text file needs; nested aliases (*name) can reach billions.
MAX_VALUES = 100_000


def _expansion_problem(root: Node, file: str) -> Problem | None:
    """A file whose aliases expand too far, or refer to themselves (found by the fuzz test)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Cycle(node)
        open_nodes.add(key)
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total = min(total + size(child), MAX_VALUES + 1)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    try:
        if size(root) <= MAX_VALUES:
            return None
    except _Cycle as cycle:
        line = cycle.node.start_mark.line + 1
        return Problem(
            file, line, "an alias (*name) refers to the item it is inside; write the value out"
        )
    except RecursionError:
        return Problem(file, 1, "the items are nested too deeply; a flow needs only a few levels")
    biggest = root
    if isinstance(root, MappingNode) and root.value:
        biggest = max((value for _, value in root.value), key=size)
    line = biggest.start_mark.line + 1
    return Problem(
        file,
        line,
        f"this expands to more than {MAX_VALUES:,} values (aliases *name inside each other); write it out plainly",
    )


class _Cycle(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _build(node: Node, path: Path_, located: LocatedYaml, problems: list[Problem]) -> Any:
    located.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                problems.append(
                    Problem(
                        located.file, key_node.start_mark.line + 1, "a key must be a plain word"
                    )
                )
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(
                        located.file,
                        key_node.start_mark.line + 1,
                        "'<<' merge keys are not supported; write the keys out",
                    )
                )
                continue
            key = str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if key in result:
                first = located.lines.get((*path, key), key_line)
                problems.append(
                    Problem(
                        located.file,
                        key_line,
                        f'the key "{key}" appears twice (first on line {first}); keep one of them',
                    )
                )
                continue
            located.lines[(*path, key)] = key_line
            result[key] = _build(value_node, (*path, key), located, problems)
            located.lines[(*path, key)] = key_line
        return result
    if isinstance(node, SequenceNode):
        return [_build(item, (*path, i), located, problems) for i, item in enumerate(node.value)]
    try:
        return _scalar_value(node)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):  # found by the fuzz test
        problems.append(
            Problem(
                located.file,
                node.start_mark.line + 1,
                f"{node.tag.replace('tag:yaml.org,2002:', '!!')} cannot be read here; remove the tag",
            )
        )
        return None


class _ClinicianLoader(yaml.SafeLoader):
    """Safe loader where only ``true``/``false`` are booleans (``no`` stays the word no)."""


_ClinicianLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _ClinicianLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0,
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    )

_SCALAR_LOADER = _ClinicianLoader("")


def _scalar_value(node: Node) -> Any:
    return _SCALAR_LOADER.construct_object(node, deep=True)
