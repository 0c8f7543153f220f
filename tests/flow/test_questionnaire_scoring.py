"""Scoring against the instruments' published scoring: every band edge, the screener's
rule, the mean of the PEG, and missing items (PHQ-9 and GAD-7: at most one)."""

from __future__ import annotations

import pytest

from bot.flow.library import FlowLibrary
from bot.flow.questionnaire import Questionnaire, score_answers

PHQ9_OPTIONS = ["not_at_all", "several_days", "more_than_half", "nearly_every_day"]


def _q(library: FlowLibrary, flow_id: str) -> Questionnaire:
    questionnaire = library.flows[flow_id].flow.questionnaire
    assert questionnaire is not None
    return questionnaire


def _answers_for_total(q: Questionnaire, total: int) -> dict[str, str]:
    """Answers whose points add up to ``total``: the earliest items as high as they go."""
    answers = {}
    left = total
    for item in q.items:
        points = min(3, left)
        answers[item.id] = PHQ9_OPTIONS[points]
        left -= points
    assert left == 0
    return answers


# Published PHQ-9 bands: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
# 20-27 severe (Kroenke et al. 2001).
PHQ9_EDGES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_EDGES)
def test_phq9_every_band_edge(library: FlowLibrary, total: int, band: str) -> None:
    q = _q(library, "phq9")
    score = score_answers(q, _answers_for_total(q, total))
    assert (score.total, score.band, score.missing) == (total, band, ())


# Published GAD-7 bands: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe (Spitzer 2006).
GAD7_EDGES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), GAD7_EDGES)
def test_gad7_every_band_edge(library: FlowLibrary, total: int, band: str) -> None:
    q = _q(library, "gad7")
    score = score_answers(q, _answers_for_total(q, total))
    assert (score.total, score.band) == (total, band)


def test_phq9_item_9_above_0_is_flagged_whatever_the_total(library: FlowLibrary) -> None:
    q = _q(library, "phq9")
    answers = {item.id: "not_at_all" for item in q.items}
    assert score_answers(q, answers).flags == ()
    answers["phq9_9"] = "several_days"
    score = score_answers(q, answers)
    assert score.total == 1 and score.band == "minimal"
    assert score.flags == ("thoughts_of_death_or_self_harm",)
    # Flagged even when too many items are missing for a total.
    assert score_answers(q, {"phq9_9": "nearly_every_day"}).flags == (
        "thoughts_of_death_or_self_harm",
    )


@pytest.mark.parametrize("flow_id", ["phq9", "gad7"])
def test_one_missing_item_is_prorated_two_are_not_scored(
    library: FlowLibrary, flow_id: str
) -> None:
    q = _q(library, flow_id)
    answers: dict[str, str | None] = {item.id: "more_than_half" for item in q.items}
    answers[q.items[0].id] = None
    one_missing = score_answers(q, answers)
    # Mean of the answered items times the number of items: 2 x n.
    assert one_missing.total == 2 * len(q.items) and one_missing.missing == (q.items[0].id,)
    answers[q.items[1].id] = None
    two_missing = score_answers(q, answers)
    assert two_missing.total is None and two_missing.band is None and not two_missing.scored
    assert two_missing.missing == (q.items[0].id, q.items[1].id)


def test_a_prorated_half_rounds_up(library: FlowLibrary) -> None:
    q = _q(library, "phq9")
    # 8 answered items scoring 1,1,1,1,1,1,1,0 = 7; 7 x 9 / 8 = 7.875 -> 8.
    answers = {item.id: "several_days" for item in q.items[:7]}
    answers[q.items[7].id] = "not_at_all"
    assert score_answers(q, answers).total == 8
    # 4 x 9 / 8 = 4.5 -> 5 (mild), never banker's rounding to 4.
    answers = {item.id: "several_days" for item in q.items[:4]}
    answers.update({item.id: "not_at_all" for item in q.items[4:8]})
    score = score_answers(q, answers)
    assert (score.total, score.band) == (5, "mild")


def test_peg_is_the_mean_of_its_three_items(library: FlowLibrary) -> None:
    q = _q(library, "peg")
    score = score_answers(q, {"peg_pain": 7, "peg_enjoyment": 5, "peg_activity": 6})
    assert score.total == 6.0
    score = score_answers(q, {"peg_pain": 7, "peg_enjoyment": 5, "peg_activity": 5})
    assert score.total == 5.7  # 17 / 3, one decimal
    assert score_answers(q, {"peg_pain": 7, "peg_enjoyment": 5}).total is None


@pytest.mark.parametrize(
    ("yes_count", "positive", "band"),
    [
        (0, False, "below the cut-off"),
        (3, False, "below the cut-off"),
        (4, True, "positive screen"),
        (5, True, "positive screen"),
    ],
)
def test_pc_ptsd5_is_positive_at_4(
    library: FlowLibrary, yes_count: int, positive: bool, band: str
) -> None:
    q = _q(library, "ptsd")
    answers = {"gate": "yes"} | {
        item.id: "yes" if i < yes_count else "no" for i, item in enumerate(q.items)
    }
    score = score_answers(q, answers)
    assert (score.total, score.positive, score.band) == (yes_count, positive, band)


def test_pc_ptsd5_no_trauma_ends_at_0_and_skips_are_not_negative(library: FlowLibrary) -> None:
    q = _q(library, "ptsd")
    gated = score_answers(q, {"gate": "no"})
    assert (gated.total, gated.positive, gated.gated_out) == (0, False, True)
    # Three "no" and two skipped: it cannot be called negative.
    partial = score_answers(q, {"gate": "yes", "ptsd_1": "no", "ptsd_2": "no", "ptsd_3": "no"})
    assert partial.total is None and partial.positive is None
    # Four "yes" and one skipped: already positive.
    four = score_answers(q, {"gate": "yes"} | {f"ptsd_{i}": "yes" for i in range(1, 5)})
    assert (four.total, four.positive) == (4, True)


def test_craving_is_its_one_rating(library: FlowLibrary) -> None:
    q = _q(library, "craving")
    assert score_answers(q, {"craving_24h": 7}).total == 7
    assert score_answers(q, {}).total is None
