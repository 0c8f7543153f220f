"""The honest measure: messages written by someone who never saw the rules, the corpus or
the model (``tests/safety/heldout.tsv``, frozen before any tuning, never trained on).

The figures are printed at the end of every test run (in-sample figures come from
``coach safety check --report data/safety/corpus/…``, reported apart). The floors are what
the screen reached when the set was first measured with the shipped layers; a change that
falls below them fails. They are not the targets: see docs/safety.md.
"""

from pathlib import Path

import pytest

from bot.safety.labelled import read_labelled
from bot.safety.normalize import normalize
from bot.safety.report import MODES, LayeredReport, measure
from bot.safety.screen import CrisisScreen

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "safety" / "heldout.tsv"

#: Floors for both layers together, on the held-out set (measured: 95.9% caught, 92.1%
#: right category at once, 17.3% of hard negatives flagged, no abuse answered as suicide).
#: The flagged share rose from 13.6% when a review's safety fixes landed: a clear phrase is
#: never dropped, a negation or a joke is always asked about. The goal is 5%. With rules
#: that only name a subject read with the learned layer (learned.mentions) it fell to 13.0%
#: (95.6% caught, 92.1% right category), and the bound followed it down to 14%. Then a joke
#: word went back to always asking (a joke can carry a real wish), and the model learned the
#: practice's everyday recovery talk (cravings, slips, streaks, flashbacks: no longer asked
#: about as overdose or suicide, nor "my chest" as where an urge sits), and "kill my self"
#: reads as "kill myself": 95.9% caught, 92.1% right category, 14.2% (23/162) flagged. The
#: bound sat at 15%, under the 18% it was before. With a model that reads negations, 1,700
#: more corpus lines and long messages the model reads as no crisis let go under
#: learned.dismiss_below: 95.2% caught, 91.4% right category, 10.5% (17/162) flagged; with
#: the model trained to its optimum and 1,100 more corpus lines: 96.5%, 92.7%, 8.6% (14/162);
#: with less regularisation (C 128), ask_at 0.6 and lethality questions played down ("just
#: curious") taught as crises: 97.5%, 94.0%, 5.6% (9/162). The bound follows it down to 7%.
MIN_CAUGHT = 0.95
MIN_RIGHT_CATEGORY = 0.91
MAX_FLAGGED_NEGATIVES = 0.07
MAX_ABUSE_AS_SUICIDE = 0

FIGURES: list[str] = []


@pytest.fixture(scope="module")
def reports() -> dict[str, LayeredReport]:
    screen = CrisisScreen.from_content(ROOT / "content")
    rows = read_labelled(HELDOUT)
    found = {mode: measure(screen, rows, str(HELDOUT), mode) for mode in MODES}
    FIGURES.clear()
    for report in found.values():
        FIGURES.extend(report.summary())
    return found


def test_the_heldout_set_is_big_enough_and_never_in_the_corpus() -> None:
    rows = read_labelled(HELDOUT)
    assert len(rows) >= 300
    # Compared as the model reads them (normalised: case, spacing, punctuation, digits for
    # letters): a corpus line that differs from a held-out line only in those is the same.
    corpus = {
        normalize(r.text)
        for path in sorted((ROOT / "data" / "safety" / "corpus").glob("*.tsv"))
        for r in read_labelled(path)
    }
    assert not [r.line for r in rows if normalize(r.text) in corpus]


def test_both_layers_stay_above_the_floors(reports: dict[str, LayeredReport]) -> None:
    both = reports["both"]
    assert both.recall >= MIN_CAUGHT, both.summary()
    assert both.right_category_rate >= MIN_RIGHT_CATEGORY, both.summary()
    assert both.false_positive_rate <= MAX_FLAGGED_NEGATIVES, both.summary()
    assert both.abuse_as_suicide <= MAX_ABUSE_AS_SUICIDE, both.summary()


def test_both_layers_catch_more_than_the_rules_alone(reports: dict[str, LayeredReport]) -> None:
    assert reports["both"].recall > reports["rules"].recall
