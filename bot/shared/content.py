"""Patient-facing texts from content/, and how saved answers are put into them.

Texts live apart from flows so a clinician can change wording without touching structure.
Each file ``content/NAME.yaml`` holds a mapping (nested mappings allowed); a text is known
by ``NAME.key.subkey``. ``crisis.yaml`` and ``intents.yaml`` have their own format and are read by bot.safety.

Texts are sent in Telegram's HTML mode. A clinician may use ``<b>``, ``<i>``, ``<u>`` and
``<s>``; every other ``<``, ``>`` or ``&`` is shown as written. Saved answers are always
escaped, so nothing a patient types can change how a message looks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.shared.problems import Problem, ProblemsFound
from bot.shared.yamlio import read_yaml

NOT_CONTENT = {"crisis.yaml", "intents.yaml"}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")
_ALLOWED_TAG = re.compile(r"&lt;(/?)(b|i|u|s)&gt;")


@dataclass(frozen=True)
class ContentText:
    """One text and where it was written."""

    text: str
    file: str
    line: int


@dataclass
class Content:
    """All texts by dotted key."""

    texts: dict[str, ContentText] = field(default_factory=dict)

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def get(self, key: str) -> str:
        return self.texts[key].text

    def keys(self) -> Iterable[str]:
        return self.texts.keys()


def load_content(
    directory: Path, display_root: Path | None = None
) -> tuple[Content, list[Problem]]:
    """Read every content file; return the texts that loaded and every problem found."""
    content = Content()
    problems: list[Problem] = []
    if not directory.is_dir():
        return content, [Problem(str(directory), 1, "the content folder does not exist")]
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NOT_CONTENT:
            continue
        shown = _display(path, display_root)
        try:
            located = read_yaml(path, shown)
        except ProblemsFound as exc:
            problems.extend(exc.problems)
            continue
        if located.data is None:
            continue
        if not isinstance(located.data, dict):
            problems.append(Problem(shown, 1, "a content file is a list of key: text lines"))
            continue
        _flatten(path.stem, (), located.data, located.lines, shown, content, problems)
    return content, problems


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _flatten(
    prefix: str,
    path: tuple[str | int, ...],
    data: Mapping[str, Any],
    lines: Mapping[tuple[str | int, ...], int],
    file: str,
    content: Content,
    problems: list[Problem],
) -> None:
    for key, value in data.items():
        here = (*path, key)
        line = lines.get(here, 1)
        dotted = f"{prefix}.{key}"
        if not re.fullmatch(r"[a-z0-9_]+", key):
            problems.append(
                Problem(
                    file, line, f'"{key}" is not a usable key; use lowercase letters, digits and _'
                )
            )
            continue
        if isinstance(value, dict):
            _flatten(dotted, here, value, lines, file, content, problems)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if not text:
                problems.append(
                    Problem(file, line, f'the text "{dotted}" is empty; write the words')
                )
                continue
            problem = check_template(text)
            if problem:
                problems.append(Problem(file, line, f'in "{dotted}": {problem}'))
            content.texts[dotted] = ContentText(text, file, line)
        else:
            problems.append(
                Problem(file, line, f'"{dotted}" should be a text; put the words after the colon')
            )


def placeholders(template: str) -> set[str]:
    """The saved-answer names a text uses, like {"balanced_thought", "patient.name"}."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}


def check_template(template: str) -> str | None:
    """Say what is wrong with a text's braces, or None when it is fine."""
    rest = _PLACEHOLDER.sub("", template)
    if "{" in rest or "}" in rest:
        return "a { or } is not part of a {name}; write {{ or }} to show a brace"
    return None


def render(
    template: str, variables: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> str:
    """Fill in ``{name}`` and escape for Telegram HTML, keeping the clinician's b/i/u/s tags."""
    labels = labels or {}

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name in labels:
            return "\x00" + html.escape(labels[name], quote=False) + "\x01"
        return "\x00" + html.escape(format_value(variables.get(name)), quote=False) + "\x01"

    filled = _PLACEHOLDER.sub(fill, template)
    # Escape the clinician's text, then restore only the tags they may use. Filled-in
    # answers are fenced by \x00/\x01 so their (already escaped) text is never re-read.
    parts = re.split(r"(\x00[^\x01]*\x01)", filled)
    out = []
    for part in parts:
        if part.startswith("\x00"):
            out.append(part[1:-1])
        else:
            out.append(_ALLOWED_TAG.sub(r"<\1\2>", html.escape(part, quote=False)))
    return "".join(out)


def render_label(template: str, variables: Mapping[str, Any]) -> str:
    """Fill in ``{name}`` in a button's words: plain text, since Telegram shows a button's
    words as they are (``render`` would turn an ``&`` in a title into ``&amp;``)."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        return token[0] if token in ("{{", "}}") else format_value(variables.get(match.group(1)))

    return _PLACEHOLDER.sub(fill, template)


def format_value(value: Any) -> str:
    """How a saved answer reads inside a sentence."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)
