"""The crisis screen: the crisis file, its phrase detector and the learned layer, together.

Built once at start from ``content/`` (:meth:`CrisisScreen.from_content`); then
:meth:`CrisisScreen.read` reads a message once and :meth:`CrisisScreen.decide` is a pure
function of that reading and the numbers kept from the patient's last few messages
(:meth:`CrisisScreen.screen` does both). It touches no database and no network, so it
answers even when both are down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.decision import Action, Decision, RecentSignal, decide
from bot.safety.detector import CrisisDetector, Hit
from bot.safety.languages import detect_language
from bot.safety.learned import NOTHING, LearnedLayer, Prediction
from bot.safety.normalize import normalize
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["CRISIS_FILE", "CrisisScreen", "Reading"]

CRISIS_FILE = "crisis.yaml"


@dataclass(frozen=True)
class Reading:
    """What reading one text found, for every decision taken about it.

    Reading (normalising, the phrase scan, the learned layer) is most of a screen's cost;
    deciding is cheap and depends on where the message stands (the patient's last
    messages, an exercise's question). So a message is read once and its reading is
    decided about as often as its event needs. It holds numbers and rule ids only (hit
    positions, probabilities, a word count, a language code), never the words: keeping it
    for the event keeps nothing the patient wrote.
    """

    hits: tuple[Hit, ...]
    prediction: Prediction
    #: How many words the normalised text has (the learned layer's ``min_words``).
    words: int
    language: str | None


@dataclass(frozen=True)
class CrisisScreen:
    """Everything needed to screen a message; immutable, shared by every conversation.

    It keeps nothing of the messages it reads: an event's :class:`Reading` goes with the
    event (``bot.coach.screening``), not into the screen.
    """

    config: CrisisConfig
    detector: CrisisDetector
    learned: LearnedLayer | None = None

    @classmethod
    def from_content(cls, content_dir: Path, crisis_file: str = CRISIS_FILE) -> CrisisScreen:
        """Load ``crisis.yaml`` and the model it names; raise ProblemsFound on any problem."""
        config = load_crisis_config(content_dir / crisis_file)
        detector = CrisisDetector.from_config(config)
        learned = None
        if config.learned is not None:
            path = content_dir / config.learned.model
            if not path.is_file():
                raise ProblemsFound(
                    [
                        Problem(
                            config.file,
                            1,
                            f"the crisis model {path} is missing; "
                            "build it with: coach safety train",
                        )
                    ]
                )
            learned = LearnedLayer.load(path)
            unknown = set(learned.categories) - {c.name for c in config.categories}
            if unknown:
                raise ProblemsFound(
                    [
                        Problem(
                            config.file,
                            1,
                            f"the crisis model knows categories the file does not "
                            f"({', '.join(sorted(unknown))}); retrain with: coach safety train",
                        )
                    ]
                )
        return cls(config, detector, learned)

    @property
    def asks_first(self) -> frozenset[str]:
        """Categories whose phrases always get a question first (``concern``)."""
        return frozenset(c.name for c in self.config.categories if c.ask is not None)

    def predict(self, text: str, normalized: str | None = None) -> Prediction:
        """The learned layer's view of ``text`` (nothing when there is no model)."""
        if self.learned is None:
            return NOTHING
        return self.learned.predict(text, normalized)

    def read(self, text: str) -> Reading:
        """Read ``text`` once: its phrase hits, the learned layer's view, words, language."""
        normalized = normalize(text)
        words = normalized.split()
        return Reading(
            tuple(self.detector.hits(text, normalized)),
            self.predict(text, normalized),
            len(words),
            detect_language(words, self.config.translations),
        )

    def screen(
        self,
        text: str,
        recent: Sequence[RecentSignal] = (),
        *,
        use_learned: bool = True,
        in_exercise: bool = False,
        learned_alone: bool = True,
    ) -> Decision:
        """What to do with ``text``, read with the patient's recent messages (see decide)."""
        return self.decide(
            self.read(text),
            recent,
            use_learned=use_learned,
            in_exercise=in_exercise,
            learned_alone=learned_alone,
        )

    def decide(
        self,
        reading: Reading,
        recent: Sequence[RecentSignal] = (),
        *,
        use_learned: bool = True,
        in_exercise: bool = False,
        learned_alone: bool = True,
    ) -> Decision:
        """What to do with the text ``reading`` was read from, with the recent messages.

        ``use_learned=False`` gives the rules' decision alone (for reports).
        ``in_exercise``: the text answers an exercise's question (a higher bar for asking).
        ``learned_alone=False``: that question's answers name means by design; only a
        phrase hit counts.
        """
        prediction = reading.prediction if use_learned else NOTHING
        settings = self.config.learned if use_learned else None
        decision = decide(
            reading.hits,
            prediction,
            settings,
            recent,
            urgency=[c.name for c in self.config.categories],
            asks_first=self.asks_first,
            words=reading.words,
            in_exercise=in_exercise,
            learned_alone=learned_alone,
        )
        if decision.action is Action.NONE:
            # The reading is kept (numbers only) to be read with the next messages.
            return dataclasses.replace(decision, prediction=prediction, language=reading.language)
        return dataclasses.replace(decision, language=reading.language)
