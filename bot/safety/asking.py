"""The crisis file's sections for asking when unsure: questions, uncertain words, the model.

A clear phrase hit in the present gets the category's crisis answer at once. Everything
less certain gets a short direct question first, in the words a clinician chose:

* ``when_unsure:`` under a category: the question, its two buttons, the words for a "no";
* ``uncertain:`` phrases that make a phrase hit uncertain when they come just before it
  (the past, a hypothetical, someone else's words, a question about risk, a negation);
* ``learned:``: the model file and the scores at which the learned layer asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.safety.phrases import Rule
from bot.safety.reader import Reader, read_rule

__all__ = [
    "AFTER_KINDS",
    "LET_GO_KINDS",
    "WINDOW_WORDS",
    "UNCERTAIN_KINDS",
    "LearnedSettings",
    "UnsureQuestion",
    "kind_of",
    "read_learned",
    "read_uncertain",
    "read_when_unsure",
]

#: The kinds of words that make a phrase hit uncertain; an ``uncertain:`` rule's id
#: starts with one of them (``uncertain.past.used_to``).
UNCERTAIN_KINDS = ("past", "hypothetical", "reported", "question", "negated", "joke")
#: Kinds that also count when they come just after the hit ("im gonna kms | lol"); the
#: others count only before it (a past word after a present crisis changes nothing).
AFTER_KINDS = frozenset({"joke"})
#: How many words may stand between an uncertain phrase of this kind and the hit (the
#: default is the detector's window): a negation only counts right before it.
WINDOW_WORDS = {"negated": 2}
#: Kinds whose uncertain hit may be let go when the learned layer finds no crisis; a
#: negation or a joke is asked about, never dropped.
LET_GO_KINDS = frozenset({"past", "hypothetical", "reported", "question"})

_QUESTION_KEYS = {"ask": True, "yes_button": True, "no_button": True, "if_no": True}
_LEARNED_KEYS = {
    "model": True,
    "ask_at": True,
    "keep_uncertain_at": True,
    "context_at": True,
    "context_minutes": True,
    "min_words": True,
    "exercise_ask_at": True,
    "veto_below": True,
    "mentions": False,
    "let_go_negated_below": False,
}
_NUMBER_KEYS = (
    "ask_at",
    "keep_uncertain_at",
    "context_at",
    "exercise_ask_at",
    "veto_below",
    "let_go_negated_below",
)


@dataclass(frozen=True)
class UnsureQuestion:
    """The direct question a category asks when the coach is unsure, and its answers."""

    ask: str
    yes_button: str
    no_button: str
    if_no: str


@dataclass(frozen=True)
class LearnedSettings:
    """Where the learned layer's weights are and when its score opens a question.

    ``ask_at``: the learned layer alone asks at this crisis probability or above.
    ``keep_uncertain_at``: a phrase hit made uncertain (the past, a question…) is asked
    about only when the learned layer gives it at least this; below, it is let go.
    ``context_at`` / ``context_minutes``: the messages of the last minutes are read
    together; their combined probability asks at ``context_at``.
    ``min_words``: the learned layer alone never asks about a shorter message (a one-word
    answer such as "relief" or "breathing" says too little to read).
    ``exercise_ask_at``: the bar for the learned layer alone (and for context) while the
    patient answers an exercise's question: a warning sign for the safety plan, where an
    urge sits in the body or a thought for a thought record is meant to sound heavy.
    ``veto_below``: a phrase hit in a message of ``min_words`` or more is let go when the
    learned layer is this sure it is no crisis (a figure of speech the lists did not know).
    ``mentions``: ids of rules that only name a subject ("suicide", "self harm") and say
    nothing of who or when; their hit is read with the learned layer: the crisis answer at
    ``ask_at``, the question from ``keep_uncertain_at``, nothing below (a question about
    risk, a training, a friend's story).
    ``let_go_negated_below``: a hit after a negation is let go when the learned layer
    scores the message under this ("i'm not suicidal, just tired"); 0 means always ask. A
    joke word never lets a hit go: "i want to die lol" can carry a real wish.
    """

    model: str
    ask_at: float
    keep_uncertain_at: float
    context_at: float
    context_minutes: float
    min_words: int = 3
    exercise_ask_at: float = 0.9
    veto_below: float = 0.0
    mentions: frozenset[str] = frozenset()
    let_go_negated_below: float = 0.0


def kind_of(rule_id: str) -> str:
    """The kind an ``uncertain:`` rule's id names (``uncertain.past.used_to``: ``past``);
    empty when it names none. The file's reader, the detector and the decision all ask."""
    parts = rule_id.split(".", 2)
    return parts[1] if len(parts) > 1 else ""


def read_when_unsure(
    r: Reader, raw: Any, path: tuple[str | int, ...], category: str
) -> UnsureQuestion | None:
    """The ``when_unsure:`` block of a category."""
    block = r.mapping(raw, path, _QUESTION_KEYS, f"when_unsure of {category}")
    if not block:
        return None
    texts = {
        k: r.text(block[k], (*path, k), f"{k} of {category}'s when_unsure") if k in block else ""
        for k in _QUESTION_KEYS
    }
    for key in ("yes_button", "no_button"):
        if len(texts[key]) > 40:
            r.problem((*path, key), "a button label must fit a phone screen: 40 characters at most")
    return UnsureQuestion(**texts)


def read_learned(r: Reader, raw: Any) -> LearnedSettings | None:
    """The ``learned:`` section."""
    block = r.mapping(raw, ("learned",), _LEARNED_KEYS, "learned")
    if not block or any(k not in block for k, required in _LEARNED_KEYS.items() if required):
        return None
    numbers: dict[str, float] = {}
    for key in _NUMBER_KEYS:
        if key not in block:
            continue
        value = block[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            r.problem(("learned", key), f"learned.{key} must be a number between 0 and 1, like 0.5")
            value = 0.5
        numbers[key] = float(value)
    minutes = block["context_minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 <= minutes <= 60:
        r.problem(("learned", "context_minutes"), "learned.context_minutes must be 0 to 60 minutes")
        minutes = 10
    words = block["min_words"]
    if isinstance(words, bool) or not isinstance(words, int) or not 1 <= words <= 10:
        r.problem(("learned", "min_words"), "learned.min_words must be a whole number, 1 to 10")
        words = 3
    model = r.text(block["model"], ("learned", "model"), "learned.model")
    if model and not model.endswith(".npz"):
        r.problem(
            ("learned", "model"), "learned.model names the weights file, like crisis_model.npz"
        )
    mentions = block.get("mentions", [])
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        r.problem(("learned", "mentions"), "learned.mentions must be a list of rule ids")
        mentions = []
    return LearnedSettings(
        model=model,
        context_minutes=float(minutes),
        min_words=words,
        mentions=frozenset(mentions),
        **numbers,
    )


def read_uncertain(
    r: Reader, raw: Any, word_lists: dict[str, tuple[str, ...]], seen_ids: dict[str, int]
) -> tuple[Rule, ...]:
    """The ``uncertain:`` rules; each id says its kind (``uncertain.past.used_to``)."""
    if not isinstance(raw, list) or not raw:
        r.problem(("uncertain",), "uncertain must be a list of rules (id:, match:) or be removed")
        return ()
    rules = []
    for i, raw_rule in enumerate(raw):
        rule = read_rule(
            r,
            raw_rule,
            ("uncertain", i),
            "uncertain",
            {"id": True, "match": True},
            word_lists,
            seen_ids,
        )
        if rule is None:
            continue
        kind = kind_of(rule.id)
        if not rule.id.startswith("uncertain.") or kind not in UNCERTAIN_KINDS:
            r.problem(
                ("uncertain", i, "id"),
                f'the id "{rule.id}" must start with uncertain. and a kind: '
                + ", ".join(f"uncertain.{k}." for k in UNCERTAIN_KINDS),
            )
            continue
        rules.append(rule)
    return tuple(rules)
