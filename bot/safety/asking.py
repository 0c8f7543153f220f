"""The crisis file's sections for asking when unsure: questions, uncertain words, the model.

A clear phrase hit in the present gets the category's crisis answer at once. Everything
less certain gets a short direct question first, in the words a clinician chose:

* ``when_unsure:`` under a category: the question, its two buttons, the words for a "no";
* ``uncertain:`` phrases that make a phrase hit uncertain when they come just before it
  (the past, a hypothetical, someone else's words, a question about risk, a negation, a
  joke, or words after it that say it is over);
* ``learned:``: the model file and the scores at which the learned layer asks.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AFTER_KINDS",
    "AFTER_ONLY_KINDS",
    "AFTER_WINDOW_WORDS",
    "JOKE_LET_GO_CATEGORIES",
    "LET_GO_KINDS",
    "NOT_RESOLVED_BY_WORDS",
    "WINDOW_WORDS",
    "UNCERTAIN_KINDS",
    "LearnedSettings",
    "UnsureQuestion",
    "kind_of",
]

#: The kinds of words that make a phrase hit uncertain; an ``uncertain:`` rule's id
#: starts with one of them (``uncertain.past.used_to``).
UNCERTAIN_KINDS = (
    "past",
    "long_ago",
    "hypothetical",
    "reported",
    "question",
    "negated",
    "joke",
    "resolved",
)
#: Kinds that also count when they come just after the hit ("im gonna kms | lol", "had a
#: seizure | years ago"); the others count only before it (a past word after a present
#: crisis changes nothing).
AFTER_KINDS = frozenset({"joke", "long_ago", "resolved"})
#: Kinds that count only after the hit: words that say it is over or was handled ("... but
#: i called my sponsor and the urge passed"). Before a hit they say nothing about it.
AFTER_ONLY_KINDS = frozenset({"resolved"})
#: Categories whose hit an ending after it never makes uncertain ("i took 30 pills but
#: im ok now", "i want to die but i know it's the withdrawal"): a medical emergency is not
#: over because the message says so, and a wish to die said and then played down is
#: answered as it was said.
NOT_RESOLVED_BY_WORDS = frozenset({"overdose", "suicide"})
#: How many words may stand between an uncertain phrase of this kind and the hit (the
#: default is the detector's window): a negation only counts right before it.
WINDOW_WORDS = {"negated": 2}
#: The same after the hit: "years ago" only right after it (not "... and a while ago i
#: took all my pills"), an ending ("but it passed") anywhere in the sentences that follow.
AFTER_WINDOW_WORDS = {"long_ago": 3, "resolved": 25}
#: Kinds whose uncertain hit may be let go when the learned layer finds no crisis; a
#: negation (and a joke, in ``JOKE_LET_GO_CATEGORIES``) only under ``let_go_negated_below``.
LET_GO_KINDS = frozenset({"past", "long_ago", "hypothetical", "reported", "question", "resolved"})
#: Categories whose hit with a joke word may be let go like a negation ("i could strangle
#: him lol"); in the others a joke is always asked about ("i want to die lol" can carry a
#: real wish, and a threat at home is often laughed off).
JOKE_LET_GO_CATEGORIES = frozenset({"harm_to_others", "concern"})


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
    ``veto_below``: a phrase hit in a message of ``min_words`` or more gets the question,
    not the answer, when the learned layer is this sure it is no crisis (a figure of speech
    the lists did not know). ``dismiss_below`` (``veto_below`` when not set): in a message
    of ``dismiss_min_words`` or more (0: never) a hit the model scores under it is let go,
    since a long message gives the model enough to read ("had a seizure years ago from
    benzo withdrawal, that's why i'm tapering slowly"); a short one is never let go this
    way ("I was raped" scores low). Overdose is never turned down.
    ``mentions``: ids of rules that only name a subject ("suicide", "self harm") and say
    nothing of who or when; their hit is read with the learned layer: the crisis answer at
    ``ask_at``, the question from ``keep_uncertain_at``, nothing below (a question about
    risk, a training, a friend's story).
    ``let_go_negated_below``: a hit after a negation is let go when the learned layer
    scores the message under this ("i'm not suicidal, just tired"); 0 means always ask. A
    joke word lets a hit go under it only in ``JOKE_LET_GO_CATEGORIES``.
    """

    model: str
    ask_at: float
    keep_uncertain_at: float
    context_at: float
    context_minutes: float
    min_words: int = 3
    exercise_ask_at: float = 0.9
    veto_below: float = 0.0
    dismiss_min_words: int = 0
    dismiss_below: float = 0.0
    mentions: frozenset[str] = frozenset()
    let_go_negated_below: float = 0.0


def kind_of(rule_id: str) -> str:
    """The kind an ``uncertain:`` rule's id names (``uncertain.past.used_to``: ``past``);
    empty when it names none. The file's reader, the detector and the decision all ask."""
    parts = rule_id.split(".", 2)
    return parts[1] if len(parts) > 1 else ""
