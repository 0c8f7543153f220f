"""Two layers, one decision: answer now, ask directly, or let the message through.

The rules are precise and categorised; the learned layer generalises. They are read
together, most certain first:

1. A phrase hit with nothing uncertain next to it: the category's crisis answer at once.
   (A category that asks first, ``concern``, gets its question instead.) When the learned
   layer is all but sure there is no crisis (under ``veto_below``, in a message long enough
   to read) the hit gets the question instead; in a long message (``dismiss_min_words``)
   one it scores under ``dismiss_below`` gets nothing, since the model then has enough to
   read. Overdose never: a medical emergency is answered on its phrase alone.
   A hit of a rule that only names the subject (``mentions:``, "suicide", "self harm")
   is read with the learned layer: the answer at ``ask_at``, the question from
   ``keep_uncertain_at``, nothing below (a question about risk, a training).
2. A phrase hit that reads as the past, a hypothetical, someone else's words, a question
   about risk, a negation, a joke, or is followed by words that say it is over (an
   ``uncertain:`` phrase next to it): the category's direct question. A past, long-ago,
   hypothetical, reported, question or resolved hit is let go when the learned layer scores
   the message below ``keep_uncertain_at`` ("I used to mix kratom with alcohol"); a
   negation only under ``let_go_negated_below``, and a joke word too in the categories
   that allow it (``JOKE_LET_GO_CATEGORIES``: "i could strangle him lol"), else it is
   always asked about.
3. No phrase hit, but the learned layer's crisis probability is at least ``ask_at``:
   the direct question of the category it finds likeliest.
4. Read with the patient's last messages of the past few minutes ("I'm so tired of all of
   it" … "I have the pills here"), a combined probability of at least ``context_at``:
   the direct question too.
5. A flow may ask to be asked about (a check-in with mood 0-2, a hopeless thought at 7
   or more): the engine asks from the flow's ``screen:`` key.

Logs and metrics get :meth:`Decision.log_fields`: the layer, the category, the rule id or
the score band. Never the words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.safety.asking import JOKE_LET_GO_CATEGORIES, LET_GO_KINDS, LearnedSettings, kind_of
from bot.safety.detector import Hit
from bot.safety.learned import NOTHING, Prediction

__all__ = ["Action", "Decision", "RecentSignal", "decide"]


class Action(Enum):
    """What the coach does with a message."""

    NONE = "none"
    RESPOND = "respond"
    ASK = "ask"


@dataclass(frozen=True)
class RecentSignal:
    """What the learned layer made of one earlier message: numbers only, never words."""

    minutes_ago: float
    crisis_probability: float
    category: str | None


@dataclass(frozen=True)
class Decision:
    """The outcome for one message, with how it was reached (for logs, never words)."""

    action: Action
    category: str | None = None
    layer: str | None = None
    rule_id: str | None = None
    uncertain: str | None = None
    prediction: Prediction = NOTHING
    language: str | None = None

    @property
    def band(self) -> str | None:
        """The learned layer's score band, when it had a say."""
        return self.prediction.band if self.prediction.category else None

    def log_fields(self) -> dict[str, str]:
        """What may be logged about this decision."""
        fields = {"action": self.action.value}
        for key in ("category", "layer", "rule_id", "uncertain", "language"):
            value = getattr(self, key)
            if value:
                fields[key] = value
        if self.band:
            fields["band"] = self.band
        return fields


LET_THROUGH = Decision(Action.NONE)
#: A clear phrase hit in these categories is answered at once whatever the learned layer
#: says: a medical emergency is never turned into a question.
NEVER_VETOED = frozenset({"overdose"})
#: A message read together with the last ones must itself carry at least this much.
CONTEXT_FLOOR = 0.15


def decide(
    hits: Sequence[Hit],
    prediction: Prediction,
    settings: LearnedSettings | None,
    recent: Sequence[RecentSignal] = (),
    urgency: Sequence[str] = (),
    asks_first: Collection[str] = (),
    words: int | None = None,
    in_exercise: bool = False,
    learned_alone: bool = True,
) -> Decision:
    """Combine the rule hits and the learned layer's prediction into one decision.

    ``urgency``: the categories in order, most urgent first (a tie goes to the first).
    ``asks_first``: categories whose phrases always get the question (``concern``).
    ``words``: how many words the message has (None: enough); the learned layer alone
    does not ask about one shorter than ``settings.min_words``. ``in_exercise``: the
    message answers an exercise's question; the learned layer alone then asks only at
    ``settings.exercise_ask_at``, and context is not read. ``learned_alone=False``: the
    question's answers name means by design (the safety plan's "a friend keeps my gun"),
    so only a phrase hit counts: the learned layer alone does not ask, nor does context.
    """

    def first(candidates: Sequence[Hit]) -> Hit:
        order = {name: i for i, name in enumerate(urgency)}
        return min(candidates, key=lambda h: (order.get(h.category, len(order)), h.start))

    mentions = settings.mentions if settings is not None else frozenset()
    vetoed = (
        settings is not None
        and prediction.category is not None
        and (words is None or words >= settings.min_words)
        and prediction.crisis_probability < settings.veto_below
    )
    if (
        settings is not None
        and prediction.category is not None
        and _long(words, settings.dismiss_min_words)
        and prediction.crisis_probability < settings.dismiss_below
    ):
        # A long message the model reads as no crisis: only an overdose phrase still counts.
        hits = [h for h in hits if h.category in NEVER_VETOED]
    certain = [h for h in hits if h.uncertain is None and h.rule_id not in mentions]
    if certain:
        hit = first(certain)
        layer = "both" if prediction.crisis_probability >= _ask_at(settings) else "rules"
        asks = hit.category in asks_first or (vetoed and hit.category not in NEVER_VETOED)
        action = Action.ASK if asks else Action.RESPOND
        return Decision(action, hit.category, layer, hit.rule_id, prediction=prediction)
    named = [h for h in hits if h.uncertain is None]
    if named and settings is not None:
        decision = _mention(first(named), prediction, settings, asks_first, words)
        if decision is not None:
            return decision
    uncertain = [h for h in hits if h.uncertain is not None]
    if uncertain:
        hit = first(uncertain)
        if not _let_go(kind_of(hit.uncertain or ""), hit.category, prediction, settings):
            return Decision(
                Action.ASK, hit.category, "rules", hit.rule_id, hit.uncertain, prediction
            )
    if settings is None or prediction.category is None or not learned_alone:
        return LET_THROUGH
    if words is not None and words < settings.min_words:
        return LET_THROUGH
    ask_at = settings.exercise_ask_at if in_exercise else settings.ask_at
    if prediction.crisis_probability >= ask_at:
        return Decision(Action.ASK, prediction.category, "learned", prediction=prediction)
    if in_exercise:
        return LET_THROUGH
    return _with_context(prediction, settings, recent)


def _mention(
    hit: Hit,
    prediction: Prediction,
    settings: LearnedSettings,
    asks_first: Collection[str],
    words: int | None,
) -> Decision | None:
    """A rule that only names the subject, read with the learned layer (None: let go).

    A message too short for the model to read (under ``min_words``: "domestic violence")
    gets the question whatever it scores: the name alone may be all a patient can type."""
    score = prediction.crisis_probability
    if prediction.category is None or score >= settings.ask_at:
        action = Action.ASK if hit.category in asks_first else Action.RESPOND
        return Decision(action, hit.category, "both", hit.rule_id, prediction=prediction)
    short = words is not None and words < settings.min_words
    if short or score >= settings.keep_uncertain_at:
        return Decision(Action.ASK, hit.category, "rules", hit.rule_id, prediction=prediction)
    return None


def _let_go(
    kind: str, category: str, prediction: Prediction, settings: LearnedSettings | None
) -> bool:
    """Whether an uncertain hit of this kind is let go on the learned layer's word."""
    if settings is None or prediction.category is None:
        return False
    if kind in LET_GO_KINDS:
        return prediction.crisis_probability < settings.keep_uncertain_at
    if kind == "joke" and category not in JOKE_LET_GO_CATEGORIES:
        # "I want to die lol": a joke word often carries a real wish; it is always asked.
        return False
    return prediction.crisis_probability < settings.let_go_negated_below


def _long(words: int | None, dismiss_min_words: int) -> bool:
    """Whether a message is long enough for the learned layer to turn a phrase hit down."""
    return dismiss_min_words > 0 and words is not None and words >= dismiss_min_words


def _with_context(
    prediction: Prediction, settings: LearnedSettings, recent: Sequence[RecentSignal]
) -> Decision:
    window = [r for r in recent if r.minutes_ago <= settings.context_minutes]
    if not window or prediction.crisis_probability < CONTEXT_FLOOR:
        return LET_THROUGH
    calm = 1.0 - prediction.crisis_probability
    for signal in window:
        calm *= 1.0 - signal.crisis_probability
    if 1.0 - calm < settings.context_at:
        return LET_THROUGH
    strongest = max(window, key=lambda s: s.crisis_probability)
    category = prediction.category
    if strongest.crisis_probability > prediction.crisis_probability and strongest.category:
        category = strongest.category
    return Decision(Action.ASK, category, "context", prediction=prediction)


def _ask_at(settings: LearnedSettings | None) -> float:
    return settings.ask_at if settings else 1.0
