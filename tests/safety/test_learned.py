"""The learned layer: plain-array weights, rebuilt exactly from the corpus, read fast."""

from pathlib import Path

import numpy as np
import pytest

from bot.safety.features import features
from bot.safety.learned import MODEL_FILE, LearnedLayer, ModelArrays
from bot.safety.train_command import weights_match
from bot.safety.training import CORPUS_DIR, read_corpus, train

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "content" / MODEL_FILE


@pytest.fixture(scope="module")
def layer() -> LearnedLayer:
    return LearnedLayer.load(SHIPPED)


def test_the_shipped_weights_are_what_the_corpus_trains() -> None:
    """`coach safety train` on the shipped corpus gives the shipped file (retrain if not)."""
    data = read_corpus(ROOT / CORPUS_DIR)
    assert weights_match(ModelArrays.load(SHIPPED), train(data)), (
        "content/crisis_model.npz is out of date with data/safety/corpus: run coach safety train"
    )


def test_the_model_file_needs_no_pickle() -> None:
    with np.load(SHIPPED, allow_pickle=False) as data:
        assert {a.dtype.kind for a in (data[k] for k in data.files)} <= {"U", "f", "i"}


def test_probabilities_are_a_distribution_and_name_a_crisis_kind(layer: LearnedLayer) -> None:
    p = layer.predict("i have been saving up my pills and wrote letters to my kids")
    assert abs(sum(p.probabilities.values()) - 1) < 1e-6
    assert p.category in layer.categories and 0 <= p.crisis_probability <= 1
    assert p.band.count("-") == 1


def test_a_text_with_no_known_feature_is_no_crisis(layer: LearnedLayer) -> None:
    assert layer.predict("").category is None
    assert layer.predict("... !!! ???").crisis_probability == 0.0


def test_a_damaged_model_file_says_how_to_rebuild_it(tmp_path: Path) -> None:
    bad = tmp_path / MODEL_FILE
    bad.write_bytes(b"not a model")
    with pytest.raises(Exception) as info:
        LearnedLayer.load(bad)
    assert "coach safety train" in str(info.value)


def test_the_words_after_a_negation_are_read_as_negated() -> None:
    said = features("no im not suicidal, just tired tonight")
    assert {"n:suicidal", "n:just", "n:tired"} <= said.keys() and "n:tonight" not in said
    assert not any(name.startswith("n:") for name in features("im suicidal tonight"))
    assert "n:morir" in features("no quiero morir")


def test_a_denial_scores_lower_than_the_same_words_said_plainly(layer: LearnedLayer) -> None:
    plain = layer.predict("i want to die").crisis_probability
    denied = layer.predict("i dont want to die, i want a nap").crisis_probability
    assert denied < plain
