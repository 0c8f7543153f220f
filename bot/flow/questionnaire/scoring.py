"""Scoring a questionnaire's answers, as the instruments' published scoring says.

Pure: answers in, a ``Score`` out. A sum with skipped items (no more than ``max_missing``)
is prorated to the full number of items, as the PHQ-9 and GAD-7 manuals allow for one
missing item; with more missing, nothing is scored and the patient is told so rather than
shown a total that is too low. A screener (PC-PTSD-5) is a count with a cut-off; a "no" to
its first question ends it at its stated total. Item rules (PHQ-9 item 9) are flagged
whatever the total, even when the total cannot be given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.flow.questionnaire.schema import Item, Questionnaire

__all__ = ["GATE", "Score", "band_of", "item_score", "score_answers"]

#: The saved name of a screener's first question (its "no" ends the screen).
GATE = "gate"


@dataclass(frozen=True)
class Score:
    """One administration, scored: each item's points, the total, its band, the flags.

    ``total`` is None when too many items were skipped (``scored`` is then False);
    ``positive`` is a screener's result (None for other measures); ``gated_out`` means the
    screener's first question was answered no, so its items were not asked.
    """

    measure: str
    version: str
    item_scores: dict[str, int | None]
    total: float | None
    band: str | None
    flags: tuple[str, ...]
    missing: tuple[str, ...]
    positive: bool | None = None
    gated_out: bool = False

    @property
    def scored(self) -> bool:
        return self.total is not None


def item_score(questionnaire: Questionnaire, item: Item, answer: Any) -> int | None:
    """The points of one answer (a fixed answer's value, or a scale's number); None: skipped."""
    if answer is None:
        return None
    if item.scale is not None:
        low, high = item.scale
        number = int(answer)
        if not low <= number <= high:
            raise ValueError(f"{item.id}: {number} is outside {low}-{high}")
        return number
    for option in questionnaire.options_of(item):
        if option.value == answer:
            return option.score
    raise ValueError(f"{item.id}: {answer!r} is not one of its answers")


def band_of(questionnaire: Questionnaire, total: float | None) -> str | None:
    """The band a total falls in (the last whose lowest total it reaches)."""
    if total is None:
        return None
    label = None
    for band in questionnaire.bands:
        if total >= band.at_least:
            label = band.label
    return label


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> Score:
    """Score ``answers`` (item id -> saved answer; None or absent: skipped)."""
    scoring = questionnaire.scoring
    if questionnaire.gate is not None and answers.get(GATE) == "no":
        gated_total = float(questionnaire.gate.no_total)
        return Score(
            questionnaire.measure,
            questionnaire.version,
            {item.id: None for item in questionnaire.items},
            gated_total,
            band_of(questionnaire, gated_total),
            (),
            (),
            positive=_positive(questionnaire, gated_total),
            gated_out=True,
        )
    scores = {
        item.id: item_score(questionnaire, item, answers.get(item.id))
        for item in questionnaire.items
    }
    flags = tuple(
        item.rule.flag
        for item in questionnaire.items
        if item.rule is not None
        and scores[item.id] is not None
        and (scores[item.id] or 0) >= item.rule.score_at_least
    )
    missing = tuple(item_id for item_id, score in scores.items() if score is None)
    given = [score for score in scores.values() if score is not None]
    total: float | None = None
    if len(missing) <= scoring.max_missing and given:
        if scoring.method == "mean":
            total = round(sum(given) / len(given), scoring.decimals)
        else:
            total = float(_round_half_up(sum(given) * len(scores) / len(given)))
    elif (
        scoring.method == "screener"
        and scoring.positive_at is not None
        and sum(given) >= scoring.positive_at
    ):
        # Enough "yes" answers already make the screen positive, whatever was skipped.
        total = float(sum(given))
    return Score(
        questionnaire.measure,
        questionnaire.version,
        scores,
        total,
        band_of(questionnaire, total),
        flags,
        missing,
        positive=_positive(questionnaire, total),
    )


def _positive(questionnaire: Questionnaire, total: float | None) -> bool | None:
    cut_off = questionnaire.scoring.positive_at
    if questionnaire.scoring.method != "screener" or cut_off is None or total is None:
        return None
    return total >= cut_off


def _round_half_up(value: float) -> int:
    """A prorated sum (8.5 -> 9), never Python's round-half-to-even."""
    return math.floor(value + 0.5)
