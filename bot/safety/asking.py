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

__all__ = [
    "AFTER_KINDS",
    "LET_GO_KINDS",
    "WINDOW_WORDS",
    "UNCERTAIN_KINDS",
    "LearnedSettings",
    "UnsureQuestion",
    "kind_of",
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
