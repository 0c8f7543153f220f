"""One shape for every clinician-facing error: where it is and what to write instead.

Flows, content and crisis lists are all edited by people who are not programmers, so
each loader reports problems the same way (``file:line: message``) and collects all of
them instead of stopping at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """A single thing wrong in a file a clinician edits.

    ``code`` names the rule that found it (``step.text``, ``flow.graph``...), stable across
    wordings, for tools and tests; it is not part of what the clinician reads or of equality.
    """

    file: str
    line: int
    message: str
    code: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ProblemsFound(Exception):
    """Raised when a file (or a set of files) has one or more problems."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' when a close valid name exists, else ''."""
    close = difflib.get_close_matches(str(name), sorted(set(candidates)), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
