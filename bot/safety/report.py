"""How well the screen does on a labelled file: the rules, the learned layer, and both.

For each way of deciding, on the ``pos`` lines: how many got the crisis answer or the
direct question (caught), how many got the right category at once (the answer or the
question of their category), how many only a question, how many the wrong category; on
the ``neg`` lines: how many got either (flagged); and how many abuse messages were
answered as suicide. A category that asks first (``concern``) counts as the category its
"yes" leads to (``suicide``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.safety.decision import Action, Decision, decide
from bot.safety.labelled import LabelledMessage
from bot.safety.normalize import normalize
from bot.safety.screen import CrisisScreen

__all__ = ["MODES", "LayeredReport", "measure"]

MODES = ("rules", "learned", "both")


@dataclass
class LayeredReport:
    """Counts for one way of deciding over one labelled file."""

    mode: str
    file: str
    pos_total: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    right_at_once: Counter[str] = field(default_factory=Counter)
    only_question: Counter[str] = field(default_factory=Counter)
    wrong_category: Counter[str] = field(default_factory=Counter)
    neg_total: int = 0
    flagged: int = 0
    abuse_as_suicide: int = 0
    misses: list[LabelledMessage] = field(default_factory=list)
    flagged_rows: list[tuple[LabelledMessage, Decision]] = field(default_factory=list)

    @staticmethod
    def _share(k: int, n: int) -> float:
        return k / n if n else 1.0

    @property
    def recall(self) -> float:
        """Share of crisis messages that got the crisis answer or the direct question."""
        return self._share(sum(self.caught.values()), sum(self.pos_total.values()))

    @property
    def right_category_rate(self) -> float:
        """Share of crisis messages whose first answer was for their own category."""
        return self._share(sum(self.right_at_once.values()), sum(self.pos_total.values()))

    @property
    def false_positive_rate(self) -> float:
        """Share of negatives that got the crisis answer or the direct question."""
        return self.flagged / self.neg_total if self.neg_total else 0.0

    def summary(self) -> list[str]:
        """The figures, one line each (no message text)."""
        total = sum(self.pos_total.values())
        caught = sum(self.caught.values())
        out = [
            f"[{self.mode}] caught (answer or question): {caught}/{total} ({self.recall:.1%}); "
            f"right category at once: {sum(self.right_at_once.values())}/{total} "
            f"({self.right_category_rate:.1%}); only by the question: "
            f"{sum(self.only_question.values())}; wrong category: "
            f"{sum(self.wrong_category.values())}",
        ]
        for category in sorted(self.pos_total):
            n = self.pos_total[category]
            out.append(
                f"[{self.mode}]   {category}: caught {self.caught[category]}/{n} "
                f"({self._share(self.caught[category], n):.1%}), right category "
                f"{self.right_at_once[category]}/{n}"
            )
        out.append(
            f"[{self.mode}] hard negatives flagged: {self.flagged}/{self.neg_total} "
            f"({self.false_positive_rate:.1%}); abuse answered as suicide: {self.abuse_as_suicide}"
        )
        return out

    def details(self) -> list[str]:
        """Every miss and every flagged negative, with its line (for the corpus's owners)."""
        out = [f"[{self.mode}] missed: {len(self.misses)}"]
        out += [f"  {self.file}:{m.line}: {m.category}\t{m.text}" for m in self.misses]
        out.append(f"[{self.mode}] flagged negatives: {len(self.flagged_rows)}")
        out += [
            f"  {self.file}:{m.line}: {d.action.value} {d.category} "
            f"({d.rule_id or d.layer})\t{m.text}"
            for m, d in self.flagged_rows
        ]
        return out


def _decision(screen: CrisisScreen, text: str, mode: str) -> Decision:
    if mode == "rules":
        return screen.screen(text, use_learned=False)
    if mode == "learned":
        words = len(normalize(text).split())
        return decide([], screen.predict(text), screen.config.learned, words=words)
    return screen.screen(text)


def measure(
    screen: CrisisScreen, rows: Iterable[LabelledMessage], file: str, mode: str
) -> LayeredReport:
    """Screen every labelled message one way (``rules``, ``learned`` or ``both``)."""
    report = LayeredReport(mode, file)
    leads_to = {c.name: c.if_yes for c in screen.config.categories if c.ask is not None}
    for row in rows:
        if row.label == "amb":
            continue
        decision = _decision(screen, row.text, mode)
        category = leads_to.get(decision.category or "", decision.category)
        if row.label == "neg":
            report.neg_total += 1
            if decision.action is not Action.NONE:
                report.flagged += 1
                report.flagged_rows.append((row, decision))
            continue
        expected = leads_to.get(row.category or "", row.category) or ""
        report.pos_total[expected] += 1
        if decision.action is Action.NONE:
            report.misses.append(row)
            continue
        report.caught[expected] += 1
        if decision.action is Action.ASK:
            report.only_question[expected] += 1
        if category == expected:
            report.right_at_once[expected] += 1
        else:
            report.wrong_category[expected] += 1
        if expected == "abuse" and category == "suicide":
            report.abuse_as_suicide += 1
    return report
