"""``coach safety check``: try the crisis detector on messages, or score it on a labelled file.

``check`` reads one message per line from stdin and prints ``none`` or
``category<TAB>rule_id`` for each. ``check --report FILE.tsv`` reads labelled messages
(``label<TAB>category<TAB>text``; labels ``pos``, ``neg``, ``amb``; ``#`` starts a comment)
and prints recall on ``pos`` (overall and per category), the false-positive rate on
``neg``, how the ``amb`` messages came out, and every miss and false positive with its line.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.safety.config import load_crisis_config
from bot.safety.detector import CrisisDetector, Detection
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["EvalReport", "LabelledMessage", "evaluate", "read_labelled", "run_safety_command"]

LABELS = ("pos", "neg", "amb")


@dataclass(frozen=True)
class LabelledMessage:
    """One line of an evaluation file."""

    line: int
    label: str
    category: str | None
    text: str


@dataclass
class EvalReport:
    """What the detector made of a labelled file."""

    file: str
    pos_total: Counter[str] = field(default_factory=Counter)
    pos_found: Counter[str] = field(default_factory=Counter)
    missed: list[LabelledMessage] = field(default_factory=list)
    wrong_category: list[tuple[LabelledMessage, Detection]] = field(default_factory=list)
    neg_total: int = 0
    false_positives: list[tuple[LabelledMessage, Detection]] = field(default_factory=list)
    ambiguous: list[tuple[LabelledMessage, Detection | None]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of positives found in the right category."""
        total = sum(self.pos_total.values())
        return sum(self.pos_found.values()) / total if total else 1.0

    @property
    def false_positive_rate(self) -> float:
        """Share of negatives flagged as a crisis."""
        return len(self.false_positives) / self.neg_total if self.neg_total else 0.0

    def lines(self) -> list[str]:
        """The report as printable lines."""
        out = []
        total = sum(self.pos_total.values())
        found = sum(self.pos_found.values())
        out.append(
            f"positives: {found}/{total} found in the right category (recall {self.recall:.1%})"
        )
        for category in sorted(self.pos_total):
            n, k = self.pos_total[category], self.pos_found[category]
            out.append(f"  {category}: {k}/{n} ({k / n:.1%})")
        out.append(
            f"negatives: {len(self.false_positives)}/{self.neg_total} flagged "
            f"(false-positive rate {self.false_positive_rate:.1%})"
        )
        flagged = sum(1 for _, d in self.ambiguous if d)
        out.append(f"ambiguous: {flagged}/{len(self.ambiguous)} flagged")
        for m, d in self.ambiguous:
            result = f"{d.category}\t{d.rule_id}" if d else "none"
            out.append(f"  {self.file}:{m.line}: {result}\t{m.text}")
        out.append(f"missed positives: {len(self.missed)}")
        out.extend(f"  {self.file}:{m.line}: {m.category}\t{m.text}" for m in self.missed)
        out.append(f"wrong category: {len(self.wrong_category)}")
        out.extend(
            f"  {self.file}:{m.line}: expected {m.category}, got {d.category} ({d.rule_id})\t{m.text}"
            for m, d in self.wrong_category
        )
        out.append(f"false positives: {len(self.false_positives)}")
        out.extend(
            f"  {self.file}:{m.line}: {d.category}\t{d.rule_id}\t{m.text}"
            for m, d in self.false_positives
        )
        return out


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
        if label == "pos" and category in ("", "-"):
            problems.append(Problem(name, number, "a pos line needs its category"))
            continue
        rows.append(
            LabelledMessage(number, label, None if category in ("", "-") else category, text)
        )
    if problems:
        raise ProblemsFound(problems)
    return rows


def evaluate(detector: CrisisDetector, rows: Iterable[LabelledMessage], file: str) -> EvalReport:
    """Run the detector over labelled messages."""
    report = EvalReport(file)
    for row in rows:
        found = detector.detect(row.text)
        if row.label == "pos":
            category = row.category or ""
            report.pos_total[category] += 1
            if found is None:
                report.missed.append(row)
            elif found.category != category:
                report.wrong_category.append((row, found))
            else:
                report.pos_found[category] += 1
        elif row.label == "neg":
            report.neg_total += 1
            if found is not None:
                report.false_positives.append((row, found))
        else:
            report.ambiguous.append((row, found))
    return report


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.format_usage()}coach safety: {message}")


class _UsageError(Exception):
    pass


def run_safety_command(argv: list[str], crisis_file: Path, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``coach safety <argv>``; return the exit code."""
    parser = _Parser(prog="coach safety", description="Check the crisis-language detector.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check messages from stdin, or score a labelled file")
    check.add_argument(
        "--report", metavar="FILE.tsv", type=Path, help="labelled file: label<TAB>category<TAB>text"
    )
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(exc, file=stdout)
        return 2
    try:
        detector = CrisisDetector.from_config(load_crisis_config(crisis_file))
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=stdout)
        return 1
    if args.report is None:
        for line in stdin:
            found = detector.detect(line.rstrip("\r\n"))
            print("none" if found is None else f"{found.category}\t{found.rule_id}", file=stdout)
        return 0
    try:
        rows = read_labelled(args.report)
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=stdout)
        return 1
    except OSError as exc:
        print(f"{args.report}: cannot read the file ({exc.strerror})", file=stdout)
        return 1
    for line in evaluate(detector, rows, str(args.report)).lines():
        print(line, file=stdout)
    return 0
