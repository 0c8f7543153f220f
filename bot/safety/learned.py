"""The learned second layer: a small text classifier that catches what the phrases miss.

Phrase lists find what their authors thought of. This layer is a multinomial logistic
regression over word and character n-grams (:mod:`bot.safety.features`), trained by the
project on its own labelled corpus (``data/safety/corpus/``, see ``coach safety train``).
It says how likely a message is a crisis of each kind; it never answers on its own: the
decision (:mod:`bot.safety.decision`) turns a high score into a direct question.

The weights ship as plain arrays in ``content/crisis_model.npz`` (no pickles, nothing
downloaded): the feature strings, their idf, one weight row per feature, the bias, the
class names and a digest of the corpus they were trained on. The thresholds that turn a
score into a question are the clinicians' to set, in ``content/crisis.yaml`` (``learned:``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.safety.features import bigrams, matching_words, negated, pieces_of
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["MODEL_FILE", "NO_CRISIS", "LearnedLayer", "ModelArrays", "Prediction"]

MODEL_FILE = "crisis_model.npz"
NO_CRISIS = "none"
FORMAT = 1
#: Words whose feature ids are remembered; the cache is emptied when it fills. Only words
#: the model learned as words (from the training corpus) are kept across messages: a word
#: it never saw (a name, a place) is forgotten with its message.
_WORD_CACHE = 50_000


@dataclass(frozen=True)
class Prediction:
    """The layer's view of one message: the likeliest crisis kind and how likely any is."""

    category: str | None
    crisis_probability: float
    probabilities: dict[str, float]

    @property
    def band(self) -> str:
        """The score as a coarse band (``0.6-0.7``): what logs and metrics may carry."""
        low = min(int(self.crisis_probability * 10), 9) / 10
        return f"{low:.1f}-{low + 0.1:.1f}"


NOTHING = Prediction(None, 0.0, {})


@dataclass(frozen=True)
class ModelArrays:
    """What the model file holds, as training writes it and screening reads it."""

    feature_names: list[str]
    idf: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    bias: npt.NDArray[np.float64]
    classes: list[str]
    corpus_digest: str

    def save(self, path: Path) -> None:
        """Write the arrays as a plain ``.npz`` (loadable without pickle)."""
        np.savez_compressed(
            path,
            format=np.array(FORMAT),
            feature_names=np.array(self.feature_names, dtype=str),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes, dtype=str),
            corpus_digest=np.array(self.corpus_digest),
        )

    @classmethod
    def load(cls, path: Path) -> ModelArrays:
        """Read a model file; raise ProblemsFound with one sentence if it is unusable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != FORMAT:
                    raise ValueError("format")
                return cls(
                    feature_names=[str(s) for s in data["feature_names"]],
                    idf=data["idf"].astype(np.float64),
                    weights=data["weights"].astype(np.float64),
                    bias=data["bias"].astype(np.float64),
                    classes=[str(s) for s in data["classes"]],
                    corpus_digest=str(data["corpus_digest"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ProblemsFound(
                [
                    Problem(
                        str(path),
                        1,
                        f"the crisis model cannot be read ({type(exc).__name__}); "
                        "rebuild it with: coach safety train",
                    )
                ]
            ) from exc


class LearnedLayer:
    """Scores messages with the shipped weights; build it once with :meth:`load`."""

    def __init__(self, arrays: ModelArrays) -> None:
        self.arrays = arrays
        self._index = {name: i for i, name in enumerate(arrays.feature_names)}
        self._idf = arrays.idf
        self._weights = arrays.weights
        self._bias = arrays.bias
        self._classes = arrays.classes
        self._none = arrays.classes.index(NO_CRISIS)
        self._known_ids: dict[str, tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: Path) -> LearnedLayer:
        """The layer for the model file at ``path``."""
        return cls(ModelArrays.load(path))

    @property
    def categories(self) -> list[str]:
        """The crisis kinds the model knows (every class but ``none``)."""
        return [c for c in self._classes if c != NO_CRISIS]

    def predict(self, text: str, normalized: str | None = None) -> Prediction:
        """How likely ``text`` is a crisis, and of which kind.

        ``normalized``: ``normalize(text)`` if the caller has it already.
        """
        words = matching_words(text, normalized)
        ids: list[int] = []
        known = self._known_ids
        this_message: dict[str, tuple[int, ...]] = {}  # its other words, forgotten with it
        for word in words:
            found = known.get(word) or this_message.get(word)
            ids.extend(found if found is not None else self._learn_word(word, this_message))
        index = self._index
        ids.extend(i for i in map(index.get, bigrams(words)) if i is not None)
        ids.extend(i for i in map(index.get, negated(words)) if i is not None)
        if not ids:
            return NOTHING
        rows, counts = np.unique(np.array(ids), return_counts=True)
        x = (1.0 + np.log(counts)) * self._idf[rows]
        x /= math.sqrt(float(x @ x))
        logits = x @ self._weights[rows] + self._bias
        logits -= logits.max()
        p = np.exp(logits)
        p /= p.sum()
        probabilities = dict(zip(self._classes, p.tolist(), strict=True))
        crisis = 1.0 - probabilities[NO_CRISIS]
        p[self._none] = -1.0
        best = self._classes[int(p.argmax())]
        return Prediction(best, crisis, probabilities)

    def _learn_word(self, word: str, this_message: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
        """The known feature ids of one word, remembered: in the bounded cache when the
        model knows the word itself, otherwise in ``this_message`` only."""
        index = self._index
        found = tuple(i for i in map(index.get, pieces_of(word)) if i is not None)
        if f"w:{word}" not in index:
            this_message[word] = found
            return found
        if len(self._known_ids) >= _WORD_CACHE:
            self._known_ids.clear()
        self._known_ids[word] = found
        return found
