"""Labelled message files: ``label<TAB>category<TAB>text``, one message a line.

The corpus the learned layer is trained on (``data/safety/corpus/``), the held-out set
and any file given to ``coach safety check --report`` share this format. Labels: ``pos``
(must be found, in this category), ``neg`` (must not be found; the category column may
name the kind it resembles, or ``-``/``none``), ``amb`` (either is acceptable, reported
only). ``#`` starts a comment line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.shared.problems import Problem, ProblemsFound

__all__ = ["LABELS", "LabelledMessage", "read_labelled"]

LABELS = ("pos", "neg", "amb")
_NO_CATEGORY = ("", "-", "none")


@dataclass(frozen=True)
class LabelledMessage:
    """One line of an evaluation file."""

    line: int
    label: str
    category: str | None
    text: str


def read_labelled(path: Path | str) -> list[LabelledMessage]:
    """Read ``label<TAB>category<TAB>text`` lines; raise ProblemsFound on malformed ones."""
    rows, problems = [], []
    name = str(path)
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t", 2)
        if len(parts) != 3:
            problems.append(Problem(name, number, "write label<TAB>category<TAB>text"))
            continue
        label, category, text = parts
        if label not in LABELS:
            problems.append(Problem(name, number, f'the label "{label}" must be pos, neg or amb'))
            continue
        if label == "pos" and category in _NO_CATEGORY:
            problems.append(Problem(name, number, "a pos line needs its category"))
            continue
        rows.append(
            LabelledMessage(number, label, None if category in _NO_CATEGORY else category, text)
        )
    if problems:
        raise ProblemsFound(problems)
    return rows
