import time
from pathlib import Path

import pytest

from bot.safety.cli import evaluate, read_labelled
from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.detector import CrisisDetector, Detection

ROOT = Path(__file__).resolve().parents[2]
EVAL_SET = ROOT / "data" / "safety" / "corpus" / "eval_set.tsv"
MAX_FALSE_POSITIVE_RATE = 0.05


@pytest.fixture(scope="module")
def cfg() -> CrisisConfig:
    return load_crisis_config(ROOT / "content" / "crisis.yaml")


@pytest.fixture(scope="module")
def detector(cfg: CrisisConfig) -> CrisisDetector:
    return CrisisDetector.from_config(cfg)


def test_eval_set_is_big_enough() -> None:
    rows = read_labelled(EVAL_SET)
    assert len(rows) >= 320
    assert {r.label for r in rows} == {"pos", "neg", "amb"}


def test_every_positive_is_found_in_its_category(detector: CrisisDetector) -> None:
    report = evaluate(detector, read_labelled(EVAL_SET), str(EVAL_SET))
    problems = [f"missed  line {m.line}: [{m.category}] {m.text}" for m in report.missed]
    problems += [
        f"wrong   line {m.line}: expected {m.category}, got {d.category} ({d.rule_id}): {m.text}"
        for m, d in report.wrong_category
    ]
    assert not problems, "\n" + "\n".join(problems)


def test_false_positive_rate_on_negatives(detector: CrisisDetector) -> None:
    report = evaluate(detector, read_labelled(EVAL_SET), str(EVAL_SET))
    details = "\n".join(f"line {m.line}: {d.rule_id}: {m.text}" for m, d in report.false_positives)
    assert report.false_positive_rate <= MAX_FALSE_POSITIVE_RATE, (
        f"false-positive rate {report.false_positive_rate:.1%} "
        f"({len(report.false_positives)}/{report.neg_total}):\n{details}"
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to die", "suicide"),
        ("I took kratom with xanax and can't breathe right", "overdose"),
        ("my husband hits me", "abuse"),
    ],
)
def test_brief_examples_fire(detector: CrisisDetector, text: str, category: str) -> None:
    found = detector.detect(text)
    assert found is not None and found.category == category


@pytest.mark.parametrize(
    "text",
    [
        "this workout is killing me",
        "I'm dying to see the game",
        "my cousin died by suicide",
        "I killed it at work today",
        "I could kill for a coffee",
        "the pain is killing my back",
        "dead tired",
    ],
)
def test_figures_of_speech_do_not_fire(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_most_urgent_category_wins(detector: CrisisDetector) -> None:
    found = detector.detect("my husband hits me and I want to die and I took too many pills")
    assert found is not None and found.category == "overdose"
    found = detector.detect("my husband hits me and I want to die")
    assert found is not None and found.category == "suicide"


def test_detection_is_a_frozen_value(detector: CrisisDetector) -> None:
    found = detector.detect("kms")
    assert found == Detection("suicide", "suicide.kms")
    with pytest.raises(AttributeError):
        found.category = "x"  # type: ignore[misc]


def test_exclusion_only_cancels_what_it_overlaps(detector: CrisisDetector) -> None:
    assert detector.detect("I hurt myself at the gym") is None
    found = detector.detect("I hurt myself at the gym, and later I hurt myself on purpose")
    assert found is not None and found.category == "self_harm"


def test_misspellings(detector: CrisisDetector) -> None:
    for text in ("sucide", "suicde", "i overdoes", "kil myself", "overdossed"):
        assert detector.detect(text) is not None, text


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "🙂", "....", "a" * 5000, "word " * 1000])
def test_empty_and_long_texts(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_crisis_at_the_end_of_a_long_text(detector: CrisisDetector) -> None:
    text = "I went for a walk today. " * 200 + "I want to die"
    assert len(text) > 5000
    start = time.perf_counter()
    found = detector.detect(text)
    assert time.perf_counter() - start < 0.05
    assert found is not None and found.category == "suicide"


def test_hits_report_spans(detector: CrisisDetector) -> None:
    text = "ok so i want to die"
    [hit] = detector.hits(text)
    form = detector.matching_form(text)
    assert form[hit.start : hit.end] == "want to die"
