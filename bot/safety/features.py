"""The features the learned crisis layer reads: word and character n-grams of a message.

Training (:mod:`bot.safety.training`) and screening (:mod:`bot.safety.learned`) both call
:func:`features`, so a message is always seen the same way. The text is first put in the
matching form of :func:`~bot.safety.normalize.normalize` (spacing, digits for letters,
accents and repeated letters undone), with doubled letters folded (``kill`` -> ``kil``).
Then:

* every word (``w:pills``) and every pair of neighbouring words (``b:the_pills``);
* every run of 3 to 5 characters inside a word padded with spaces (``c: pil``, ``c:ils ``),
  so a misspelling (``sucide``), a word glued to another (``killmyself``) or a new ending
  still shares most of its pieces with the words the model learned;
* every word in the few words after a negation (``n:hurting`` in "im not hurting myself",
  ``n:morir`` in "no quiero morir"): without it "not suicidal" reads as "suicidal". The
  model learns from the corpus when a negation matters ("i said im not suicidal but i
  lied" is taught as a crisis), so it is a feature, not a rule.

Characters inside a word are worked out once per word: a long message repeats its words,
so a 4,096-character message costs about as much as its distinct words. Across messages
the learned layer remembers only words the model knows, never a patient's other words.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from bot.safety.normalize import normalize

__all__ = [
    "CHAR_SIZES",
    "MAX_CHARS",
    "NEGATION_SCOPE",
    "bigrams",
    "features",
    "matching_words",
    "negated",
    "pieces_of",
    "word_pieces",
]

CHAR_SIZES = (3, 4, 5)
#: Longer messages are read up to here: the opening of a very long message is screened
#: by the rules in full anyway, and the learned layer's cost stays bounded.
MAX_CHARS = 8192

#: How many words after a negation word are read as negated.
NEGATION_SCOPE = 3
#: Negation words, in the form the model reads (normalised, doubled letters folded).
NEGATIONS = frozenset(
    {
        *("not", "no", "never", "nor", "without", "aint", "canot"),  # "cannot", doubles folded
        *("dont", "didnt", "doesnt", "cant", "wont", "isnt", "arent", "wasnt", "werent"),
        *("havent", "hasnt", "hadnt", "wouldnt", "shouldnt", "couldnt"),
        *("nunca", "jamas", "ni"),
    }
)

_DOUBLES = re.compile(r"([^\W\d_])\1+")


def matching_words(text: str, normalized: str | None = None) -> list[str]:
    """The words of ``text`` in the form the model reads (normalised, doubles folded).

    ``normalized``: ``normalize(text)`` when the caller already has it (the screener does).
    """
    if normalized is None:
        normalized = normalize(text[:MAX_CHARS])
    return _DOUBLES.sub(r"\1", normalized[:MAX_CHARS]).split()


def pieces_of(word: str) -> tuple[str, ...]:
    """The features one word gives on its own: the word, and its character runs.

    Not cached: screening calls it for patients' words, which are not kept (the learned
    layer remembers only the words the model knows); training uses ``word_pieces``."""
    padded = f" {word} "
    pieces = [f"w:{word}"]
    for size in CHAR_SIZES:
        if len(padded) < size:
            break
        pieces.extend(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return tuple(pieces)


#: ``pieces_of``, cached per word: for training, which reads the corpus, not patients.
word_pieces = lru_cache(maxsize=65_536)(pieces_of)


def bigrams(words: list[str]) -> list[str]:
    """The features of neighbouring words."""
    return [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def negated(words: list[str]) -> list[str]:
    """The features of the words a negation reaches: up to ``NEGATION_SCOPE`` words after
    each negation word; another negation inside the reach carries it on ("no im not
    suicidal just tired")."""
    found: list[str] = []
    reach = 0
    for word in words:
        if reach:
            found.append(f"n:{word}")
            reach -= 1
        if word in NEGATIONS:
            reach = NEGATION_SCOPE
    return found


def features(text: str) -> Counter[str]:
    """How often each feature occurs in ``text`` (empty for a text with no words)."""
    words = matching_words(text)
    counts: Counter[str] = Counter()
    for word in words:
        counts.update(word_pieces(word))
    counts.update(bigrams(words))
    counts.update(negated(words))
    return counts
