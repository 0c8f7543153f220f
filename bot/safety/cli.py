"""``coach safety check`` and ``coach safety train``: try, measure and retrain the screen.

``check`` reads one message per line from stdin and prints, for each, ``none``,
``category<TAB>rule_id`` (the crisis answer) or ``ask<TAB>category<TAB>why`` (the direct
question). ``check --report FILE.tsv`` first prints, for the rules, the learned layer and
both, the figures of :mod:`bot.safety.report` (``--summary``: only those), then every miss,
then the rules' phrase-by-phrase report. ``check --report FILE.tsv`` reads labelled messages
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

from bot.safety.decision import Action, Decision
from bot.safety.detector import CrisisDetector, Detection
from bot.safety.labelled import LabelledMessage, read_labelled
from bot.safety.report import MODES, measure
from bot.safety.screen import CrisisScreen
from bot.safety.train_command import run_train
from bot.safety.training import CORPUS_DIR
from bot.shared.problems import ProblemsFound

__all__ = ["EvalReport", "LabelledMessage", "evaluate", "read_labelled", "run_safety_command"]


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
    check.add_argument(
        "--summary", action="store_true", help="with --report: the figures only, no message texts"
    )
    train = sub.add_parser("train", help="rebuild the learned layer from the corpus")
    train.add_argument("--corpus", type=Path, default=CORPUS_DIR, metavar="DIR")
    train.add_argument(
        "--check", action="store_true", help="only say whether the shipped weights are current"
    )
    train.add_argument(
        "--suggest", action="store_true", help="also print thresholds from held-apart scores"
    )
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(exc, file=stdout)
        return 2
    if not crisis_file.is_file():
        print(
            f"{crisis_file}: the crisis file is not here; run coach from the project folder "
            "or set CONTENT_DIR",
            file=stdout,
        )
        return 1
    if args.command == "train":
        return run_train(crisis_file, args.corpus, args.check, args.suggest, stdout)
    try:
        screen = CrisisScreen.from_content(crisis_file.parent, crisis_file.name)
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=stdout)
        return 1
    if args.report is None:
        for line in stdin:
            print(_decision_line(screen.screen(line.rstrip("\r\n"))), file=stdout)
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
    layered = [measure(screen, rows, str(args.report), mode) for mode in MODES]
    for report in layered:
        for line in report.summary():
            print(line, file=stdout)
    if args.summary:
        return 0
    for line in layered[-1].details():
        print(line, file=stdout)
    print("[rules, phrase by phrase]", file=stdout)
    for line in evaluate(screen.detector, rows, str(args.report)).lines():
        print(line, file=stdout)
    return 0


def _decision_line(decision: Decision) -> str:
    if decision.action is Action.NONE:
        return "none"
    if decision.action is Action.RESPOND:
        return f"{decision.category}\t{decision.rule_id}"
    how = decision.rule_id or f"{decision.layer} {decision.band or ''}".strip()
    return f"ask\t{decision.category}\t{how}"
