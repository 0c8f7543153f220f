"""The crisis screen: the crisis file, its phrase detector and the learned layer, together.

Built once at start from ``content/`` (:meth:`CrisisScreen.from_content`); then
:meth:`CrisisScreen.screen` is a pure function of a message and the numbers kept from the
patient's last few messages. It touches no database and no network, so it answers even
when both are down.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.decision import Action, Decision, RecentSignal, decide
from bot.safety.detector import CrisisDetector, Hit
from bot.safety.languages import detect_language
from bot.safety.learned import NOTHING, LearnedLayer, Prediction
from bot.safety.normalize import normalize
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["CRISIS_FILE", "CrisisScreen"]

CRISIS_FILE = "crisis.yaml"
#: How many recent texts' readings are remembered.
_REMEMBERED = 8
_Reading = tuple[str, list[Hit], Prediction]


@dataclass(frozen=True)
class CrisisScreen:
    """Everything needed to screen a message; immutable, shared by every conversation."""

    config: CrisisConfig
    detector: CrisisDetector
    learned: LearnedLayer | None = None
    #: The last texts read (the service checks an event before its step, the engine in
    #: it): reading a text is most of the cost, deciding is cheap.
    _read: OrderedDict[str, _Reading] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )

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

    def _reading(self, text: str) -> _Reading:
        """The normalised text, its phrase hits and the learned layer's view, remembered."""
        found = self._read.get(text)
        if found is None:
            normalized = normalize(text)
            found = (
                normalized,
                self.detector.hits(text, normalized),
                self.predict(text, normalized),
            )
            self._read[text] = found
            if len(self._read) > _REMEMBERED:
                self._read.popitem(last=False)
        return found

    def screen(
        self,
        text: str,
        recent: Sequence[RecentSignal] = (),
        *,
        use_learned: bool = True,
        in_exercise: bool = False,
    ) -> Decision:
        """What to do with ``text``, read with the patient's recent messages.

        ``use_learned=False`` gives the rules' decision alone (for reports).
        ``in_exercise``: ``text`` answers an exercise's question (a higher bar for asking).
        """
        normalized, hits, read = self._reading(text)
        prediction = read if use_learned else NOTHING
        settings = self.config.learned if use_learned else None
        decision = decide(
            hits,
            prediction,
            settings,
            recent,
            urgency=[c.name for c in self.config.categories],
            asks_first=self.asks_first,
            words=normalized.count(" ") + 1 if normalized else 0,
            in_exercise=in_exercise,
        )
        language = detect_language(normalized.split(), self.config.translations)
        if decision.action is Action.NONE:
            # The reading is kept (numbers only) to be read with the next messages.
            return dataclasses.replace(decision, prediction=prediction, language=language)
        return dataclasses.replace(decision, language=language)
