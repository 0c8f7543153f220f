"""The instruments' wording stays verbatim, and their facts match clinical-facts.md.

The validated questionnaires may not be reworded. The published texts are written out
below (PHQ-9 and GAD-7: the Pfizer forms; PEG: Krebs et al., J Gen Intern Med 2009;
PC-PTSD-5: Prins et al., J Gen Intern Med 2016) and every flow file's words are compared
with them character for character. The facts the project keeps in
``/work/shared/clinical-facts.md`` (number of items, ranges, band edges, recall window, the
screener's cut-off, LOINC totals) are read from that file and compared too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.flow.library import FlowLibrary
from bot.flow.questionnaire import Questionnaire

FACTS = Path("/work/shared/clinical-facts.md")

PHQ_GAD_ANSWERS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]

PUBLISHED = {
    "phq9": {
        "recall": "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        "answers": PHQ_GAD_ANSWERS,
        "items": [
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ],
    },
    "gad7": {
        "recall": "Over the last 2 weeks, how often have you been bothered by the following problems?",
        "answers": PHQ_GAD_ANSWERS,
        "items": [
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ],
    },
    "peg": {
        "items": [
            "What number best describes your pain on average in the past week?",
            "What number best describes how, during the past week, pain has interfered with your enjoyment of life?",
            "What number best describes how, during the past week, pain has interfered with your general activity?",
        ],
        "anchors": [
            "0 = No pain, 10 = Pain as bad as you can imagine",
            "0 = Does not interfere, 10 = Completely interferes",
            "0 = Does not interfere, 10 = Completely interferes",
        ],
    },
    "ptsd": {
        "gate": "Sometimes things happen to people that are unusually or especially frightening, horrible, or traumatic. For example: a serious accident or fire; a physical or sexual assault or abuse; an earthquake or flood; a war; seeing someone be killed or seriously injured; having a loved one die through homicide or suicide. Have you ever experienced this kind of event?",
        "recall": "In the past month, have you…",
        "answers": ["No", "Yes"],
        "items": [
            "had nightmares about the event(s) or thought about the event(s) when you did not want to?",
            "tried hard not to think about the event(s) or went out of your way to avoid situations that reminded you of the event(s)?",
            "been constantly on guard, watchful, or easily startled?",
            "felt numb or detached from people, activities, or your surroundings?",
            "felt guilty or unable to stop blaming yourself or others for the event(s) or any problems the event(s) may have caused?",
        ],
    },
}


def _q(library: FlowLibrary, flow_id: str) -> Questionnaire:
    questionnaire = library.flows[flow_id].flow.questionnaire
    assert questionnaire is not None
    return questionnaire


@pytest.mark.parametrize("flow_id", sorted(PUBLISHED))
def test_the_wording_is_the_published_wording(library: FlowLibrary, flow_id: str) -> None:
    q = _q(library, flow_id)
    published = PUBLISHED[flow_id]
    assert [item.text for item in q.items] == published["items"]
    if "recall" in published:
        assert q.recall == published["recall"]
    if "answers" in published:
        for item in q.items:
            assert [o.text for o in q.options_of(item)] == published["answers"]
    if "anchors" in published:
        assert [item.anchors for item in q.items] == published["anchors"]
    if "gate" in published:
        assert q.gate is not None and q.gate.text == published["gate"]


def _facts_line(name: str) -> str:
    if not FACTS.exists():
        pytest.skip(f"{FACTS} is not on this machine")
    (line,) = [ln for ln in FACTS.read_text(encoding="utf-8").splitlines() if f"**{name}**" in ln]
    return line


@pytest.mark.parametrize(
    ("flow_id", "name", "bands"),
    [
        ("phq9", "PHQ-9", ["mild", "moderate", "moderately severe", "severe"]),
        ("gad7", "GAD-7", ["mild", "moderate", "severe"]),
    ],
)
def test_phq9_and_gad7_agree_with_the_facts_file(
    library: FlowLibrary, flow_id: str, name: str, bands: list[str]
) -> None:
    line = _facts_line(name)
    q = _q(library, flow_id)
    count, low, high = (int(n) for n in re.search(r"(\d+) items (\d)–(\d)", line).groups())  # type: ignore[union-attr]
    assert len(q.items) == count
    assert {o.score for o in q.options or []} == set(range(low, high + 1))
    assert q.highest_total() == int(re.search(r"total 0–(\d+)", line).group(1))  # type: ignore[union-attr]
    edges = [int(n) for n in re.search(r"\): ([\d, ]+) =", line).group(1).split(",")]  # type: ignore[union-attr]
    assert [b.at_least for b in q.bands[1:]] == edges
    assert [b.label for b in q.bands[1:]] == bands
    assert "past 2 weeks" in line and "Over the last 2 weeks" in q.recall
    assert q.total_loinc is not None and f"LOINC total {q.total_loinc}" in line


def test_item_9_rule_agrees_with_the_facts_file(library: FlowLibrary) -> None:
    assert "Item 9" in _facts_line("PHQ-9") and "above 0" in _facts_line("PHQ-9")
    rule = _q(library, "phq9").items[8].rule
    assert rule is not None and rule.score_at_least == 1 and rule.ask == "suicide"


def test_peg_and_ptsd_and_craving_agree_with_the_facts_file(library: FlowLibrary) -> None:
    peg = _q(library, "peg")
    assert "each 0–10; score = mean of the three" in _facts_line("PEG")
    assert [item.scale for item in peg.items] == [(0, 10)] * 3 and peg.scoring.method == "mean"
    ptsd = _q(library, "ptsd")
    line = _facts_line("PC-PTSD-5")
    assert "5 yes/no items" in line and "4 or more" in line and "past month" in line
    assert len(ptsd.items) == 5 and ptsd.scoring.positive_at == 4
    assert "In the past month" in ptsd.recall
    craving = _q(library, "craving")
    assert "0–10" in _facts_line("Craving") and "past 24 hours" in _facts_line("Craving")
    assert craving.items[0].scale == (0, 10) and "past 24 hours" in craving.items[0].text
