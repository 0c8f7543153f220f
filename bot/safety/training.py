"""``coach safety train``: rebuild the learned layer's weights from the project's corpus.

The corpus is every ``*.tsv`` file in ``data/safety/corpus/`` (``label<TAB>category<TAB>text``,
the format of ``coach safety check --report``). ``pos`` lines teach their category, ``neg``
lines teach "no crisis", ``amb`` lines are left out. ``concern`` (worrying words whose
meaning is unclear) is taught as ``suicide``: the question it earns is the suicide question.

The same corpus always gives the same weights: files are read in name order, the
vocabulary is sorted, and the solver (scikit-learn's Newton-CG logistic regression) has no
randomness and is run to full convergence (``GRADIENT_TOLERANCE``). A test retrains and compares
with the shipped file. scikit-learn is only
needed here (``pip install -e '.[dev]'``); the bot itself reads the plain arrays.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.safety.features import features
from bot.safety.labelled import LabelledMessage, read_labelled
from bot.safety.learned import NO_CRISIS, ModelArrays
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["CORPUS_DIR", "TrainingSet", "corpus_files", "read_corpus", "train"]

CORPUS_DIR = Path("data/safety/corpus")
#: Categories taught under another name (the question they earn is that category's).
TAUGHT_AS = {"concern": "suicide"}
#: A feature seen in fewer messages than this is noise, not signal.
MIN_MESSAGES = 2
#: Inverse regularisation strength of the logistic regression.
C = 128.0
#: The solver stops when the gradient is this small: the unique optimum, not a point on
#: the way to it. L-BFGS stopped at 1e-4 moved some scores by up to 0.09 (0.657 against
#: 0.571 converged for "gracias, voy a descansar un rato"), so adding unrelated corpus
#: lines swung texts across the asking bar; Newton-CG gets to 1e-8 in about 10 steps.
GRADIENT_TOLERANCE = 1e-8
#: Newton steps allowed; the corpus needs about 10.
MAX_STEPS = 100


@dataclass(frozen=True)
class TrainingSet:
    """The corpus as texts and class names, with a digest of exactly what was read."""

    texts: list[str]
    labels: list[str]
    digest: str


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus files, in the order training reads them."""
    return sorted(corpus_dir.glob("*.tsv"))


def label_of(row: LabelledMessage) -> str | None:
    """The class a corpus line teaches (None: left out)."""
    if row.label == "neg":
        return NO_CRISIS
    if row.label == "pos" and row.category:
        return TAUGHT_AS.get(row.category, row.category)
    return None


def read_corpus(corpus_dir: Path) -> TrainingSet:
    """Every labelled line of the corpus; raise ProblemsFound if there is none or one is bad."""
    files = corpus_files(corpus_dir)
    if not files:
        raise ProblemsFound(
            [
                Problem(
                    str(corpus_dir), 1, "no corpus files (*.tsv) here; run from the project folder"
                )
            ]
        )
    texts, labels = [], []
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for row in read_labelled(path):
            label = label_of(row)
            if label is not None:
                texts.append(row.text)
                labels.append(label)
    return TrainingSet(texts, labels, digest.hexdigest())


def train(data: TrainingSet, c: float = C) -> ModelArrays:
    """Fit the layer on ``data``; the same data always gives the same arrays."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counted = [features(t) for t in data.texts]
    seen_in: Counter[str] = Counter()
    for counts in counted:
        seen_in.update(counts.keys())
    names = sorted(n for n, k in seen_in.items() if k >= MIN_MESSAGES)
    index = {n: i for i, n in enumerate(names)}
    total = len(counted)
    idf = np.array([math.log((1 + total) / (1 + seen_in[n])) + 1.0 for n in names])

    indptr: list[int] = [0]
    indices: list[int] = []
    values: list[float] = []
    for counts in counted:
        row = sorted((index[n], 1.0 + math.log(k)) for n, k in counts.items() if n in index)
        weights = [v * idf[i] for i, v in row]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        indices.extend(i for i, _ in row)
        values.extend(w / norm for w in weights)
        indptr.append(len(indices))
    matrix = csr_matrix((values, indices, indptr), shape=(total, len(names)))

    classes = sorted(set(data.labels))
    model = LogisticRegression(
        C=c, solver="newton-cg", tol=GRADIENT_TOLERANCE, max_iter=MAX_STEPS, class_weight="balanced"
    )
    model.fit(matrix, np.array(data.labels))
    assert list(model.classes_) == classes
    if int(np.max(model.n_iter_)) >= MAX_STEPS:
        raise RuntimeError(f"the crisis model did not converge in {MAX_STEPS} Newton steps")
    return ModelArrays(
        feature_names=names,
        idf=idf,
        weights=np.ascontiguousarray(model.coef_.T),
        bias=model.intercept_.copy(),
        classes=classes,
        corpus_digest=data.digest,
    )


def held_apart_scores(data: TrainingSet, folds: int = 5) -> list[float]:
    """Each corpus line's crisis probability from a model that did not see it.

    For choosing thresholds: a model scores its own training lines too confidently.
    """
    from bot.safety.learned import LearnedLayer

    scores = [0.0] * len(data.texts)
    for fold in range(folds):
        keep = [i for i in range(len(data.texts)) if i % folds != fold]
        part = TrainingSet([data.texts[i] for i in keep], [data.labels[i] for i in keep], "")
        layer = LearnedLayer(train(part))
        for i in range(fold, len(data.texts), folds):
            scores[i] = layer.predict(data.texts[i]).crisis_probability
    return scores


def suggest_threshold(scores: Sequence[float], labels: Sequence[str], recall: float) -> float:
    """The highest threshold that keeps ``recall`` of the crisis lines at or above it."""
    positives = sorted(s for s, lab in zip(scores, labels, strict=True) if lab != NO_CRISIS)
    if not positives:
        return 0.5
    return positives[max(0, int(math.floor((1 - recall) * len(positives))) - 1)]
