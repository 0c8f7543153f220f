"""Rules on a ``questionnaire:``: what a clinician can get wrong while the YAML looks fine.

Items with no answers, two answers with the same value, bands out of order or beyond the
highest possible total, a screener without its cut-off, an item rule no answer can reach.
Each problem carries the line of the key at fault and the code ``flow.questionnaire``.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.flow.questionnaire.schema import Questionnaire
from bot.flow.questionnaire.scoring import GATE
from bot.flow.questionnaire_steps import CHECKED_STEP, SCORE_STEP
from bot.flow.rules.facts import MAX_SCALE_BUTTONS, Report
from bot.shared.content import Content
from bot.shared.problems import did_you_mean

__all__ = ["RESULT_KEYS", "check_questionnaire"]

#: The coach's words around every questionnaire's result (content/scores.yaml).
RESULT_KEYS = (
    "scores.intro",
    "scores.result_band",
    "scores.result_number",
    "scores.not_scored",
    "scores.screen_positive",
    "scores.screen_negative",
    "scores.screen_gated_out",
    "scores.item_flag",
    "scores.rising",
    "scores.checked",
    "scores.see_result",
    "scores.offer",
    "scores.offer_start",
    "scores.offer_skip",
    "scores.offer_skipped",
)

Line = Callable[..., int]


def check_questionnaire(
    questionnaire: Questionnaire, content: Content, line: Line, report: Report
) -> None:
    """``line(*path)``: the line of a key under ``questionnaire:``."""
    _check_items(questionnaire, line, report)
    _check_scoring(questionnaire, line, report)
    for key in RESULT_KEYS:
        if key not in content:
            report(line(), f'a questionnaire needs the text "{key}"; add it to content/scores.yaml')
    if questionnaire.intro is not None and questionnaire.intro not in content:
        report(
            line("intro"),
            f'there is no text "{questionnaire.intro}" in content/'
            + did_you_mean(questionnaire.intro, content.keys()),
        )


def _check_items(questionnaire: Questionnaire, line: Line, report: Report) -> None:
    seen: set[str] = set()
    for i, item in enumerate(questionnaire.items):
        where = f'item "{item.id}": '
        if item.id in seen or item.id in (GATE, SCORE_STEP, CHECKED_STEP):
            report(line("items", i, "id"), f"{where}choose another id; this one is taken")
        seen.add(item.id)
        if item.scale is not None:
            low, high = item.scale
            if item.options is not None:
                report(line("items", i, "options"), f"{where}a scale item has no options:")
            if low >= high or high - low + 1 > MAX_SCALE_BUTTONS:
                report(
                    line("items", i, "scale"),
                    f"{where}a scale runs from low to high with at most "
                    f"{MAX_SCALE_BUTTONS} buttons, like [0, 10]",
                )
            top = high
        else:
            options = questionnaire.options_of(item)
            if not options:
                report(
                    line("items", i),
                    f"{where}it has no answers; add options: here or for the whole questionnaire",
                )
                continue
            values = [o.value for o in options]
            if len(set(values)) != len(values):
                path = ("items", i, "options") if item.options else ("options",)
                report(line(*path), f"{where}two answers have the same value; make each different")
            top = max(o.score for o in options)
        if item.rule is not None and item.rule.score_at_least > top:
            report(
                line("items", i, "rule", "score_at_least"),
                f"{where}no answer scores {item.rule.score_at_least}; the highest is {top}",
            )


def _check_scoring(questionnaire: Questionnaire, line: Line, report: Report) -> None:
    scoring = questionnaire.scoring
    if scoring.method == "screener" and scoring.positive_at is None:
        report(line("scoring", "method"), "a screener needs positive_at: (its cut-off)")
    if scoring.method != "screener" and scoring.positive_at is not None:
        report(line("scoring", "positive_at"), "positive_at: is only for method: screener")
    if scoring.max_missing >= len(questionnaire.items):
        report(
            line("scoring", "max_missing"),
            f"max_missing: must be below the number of items ({len(questionnaire.items)})",
        )
    highest = questionnaire.highest_total()
    bands = questionnaire.bands
    if bands and bands[0].at_least != 0:
        report(line("bands", 0, "at_least"), "the first band starts at 0 (at_least: 0)")
    for i, band in enumerate(bands):
        if i and band.at_least <= bands[i - 1].at_least:
            report(line("bands", i, "at_least"), "bands go from the lowest total to the highest")
        if band.at_least > highest:
            report(
                line("bands", i, "at_least"),
                f"no total reaches {band.at_least:g}; the highest possible is {highest:g}",
            )
