"""``coach safety train``: rebuild, check or tune the learned layer's weights.

Kept apart from :mod:`bot.safety.training` so that the bot, which only reads weights,
never imports the training code's scikit-learn.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.safety.config import load_crisis_config
from bot.safety.learned import ModelArrays
from bot.shared.problems import ProblemsFound

__all__ = ["run_train", "weights_match"]

#: Weights are stored as float32; a retrain on another machine may differ in the last bits.
TOLERANCE = 1e-4


def weights_match(a: ModelArrays, b: ModelArrays) -> bool:
    """Whether two sets of weights are the same model (names, classes and numbers)."""
    return (
        a.feature_names == b.feature_names
        and a.classes == b.classes
        and a.corpus_digest == b.corpus_digest
        and bool(np.allclose(a.weights, b.weights, atol=TOLERANCE))
        and bool(np.allclose(a.bias, b.bias, atol=TOLERANCE))
        and bool(np.allclose(a.idf, b.idf, atol=TOLERANCE))
    )


def run_train(crisis_file: Path, corpus: Path, check: bool, suggest: bool, out: TextIO) -> int:
    """Train on ``corpus`` and write (or, with ``check``, compare) the model file."""
    if importlib.util.find_spec("sklearn") is None or importlib.util.find_spec("scipy") is None:
        print("training needs scikit-learn: run  pip install -e '.[dev]'", file=out)
        return 1
    from bot.safety.training import held_apart_scores, read_corpus, suggest_threshold, train

    try:
        config = load_crisis_config(crisis_file)
        data = read_corpus(corpus)
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=out)
        return 1
    if config.learned is None:
        print(f"{crisis_file}: add a learned: section naming the model file first", file=out)
        return 1
    target = crisis_file.parent / config.learned.model
    arrays = train(data)
    print(
        f"trained on {len(data.texts)} messages: {len(arrays.feature_names)} features, "
        f"classes {', '.join(arrays.classes)}",
        file=out,
    )
    if suggest:
        scores = held_apart_scores(data)
        for recall in (0.9, 0.95, 0.97, 0.99):
            threshold = suggest_threshold(scores, data.labels, recall)
            flagged = sum(
                1
                for s, lab in zip(scores, data.labels, strict=True)
                if lab == "none" and s >= threshold
            )
            negatives = data.labels.count("none")
            print(
                f"  held-apart recall {recall:.0%} at score {threshold:.3f}: "
                f"negatives flagged {flagged}/{negatives}",
                file=out,
            )
    if check:
        if target.is_file() and weights_match(ModelArrays.load(target), arrays):
            print(f"{target} is current", file=out)
            return 0
        print(f"{target} is out of date; rebuild it with: coach safety train", file=out)
        return 1
    arrays.save(target)
    print(f"wrote {target}", file=out)
    return 0
