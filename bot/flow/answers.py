"""Reading a patient's typed answer for each kind of question.

Each parser returns the value to save, or raises NotAnAnswer naming the content key of
the kind re-ask to send. Typing is forgiving (``7/10``, ``7pm``, ``Yes!``, a city for a
time zone) because the patient is often on a phone and not at their best.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

from bot.flow.answer_words import NO_PHRASES, NO_WORDS, WORD_NUMBERS, YES_PHRASES, YES_WORDS

DEFAULT_TEXT_LIMIT = 1000
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)


class NotAnAnswer(ValueError):
    """The answer does not fit; ``key`` is the content key of the re-ask to send."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def clean_text(text: str) -> str:
    """Remove invisible and control characters; keep what the patient meant to write."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_text(text: str, limit: int | None) -> str:
    cleaned = clean_text(text)
    limit = limit or DEFAULT_TEXT_LIMIT
    if not cleaned:
        raise NotAnAnswer("system.retry_text")
    if len(cleaned) > limit:
        raise NotAnAnswer("system.retry_text_long", limit=limit, length=len(cleaned))
    if not has_words(cleaned):
        raise NotAnAnswer("system.retry_text_short")
    return cleaned


_NUMERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


#: Words before a number that only say it is a guess: "about 80", "around 7", "~5".
_ROUGHLY = re.compile(
    r"^(?:about|around|roughly|approximately|approx\.?|maybe|like|~|"
    r"unos|como|alrededor de|aproximadamente|más o menos)\s*"
)
#: After a number: a percent sign or word ("80%", "80 %", "80 percent").
_PERCENT = re.compile(r"\s*(?:%|percent|per cent|por ciento)$")
#: After a number: what it is out of ("8/10", "8 out of 10", "80/100", "8 de 10").
_OUT_OF = re.compile(r"\s*(?:/|out of|de)\s*(?P<whole>10|100)$")


#: Words around a rating that say nothing about it: "I'd say a 7", "7 I guess", "I'm at a
#: 6 right now". Nothing that changes a number ("not", "more than", "or", "to") is here,
#: so "not 7" or "6 or 7" is still asked again rather than read as a number.
_FILLER = frozenset(
    [
        "i",
        "id",
        "ive",
        "say",
        "a",
        "an",
        "its",
        "it",
        "is",
        "im",
        "at",
        "about",
        "around",
        "like",
        "maybe",
        "probably",
        "prob",
        "guess",
        "think",
        "honestly",
        "um",
        "uh",
        "hmm",
        "so",
        "ok",
        "okay",
        "well",
        "would",
        "be",
        "right",
        "now",
        "today",
        "pretty",
        "much",
        "feel",
        "feeling",
        "level",
    ]
)


def parse_number(text: str, low: float | None, high: float | None, whole: bool) -> int | float:
    """A number as people write it: ``7``, ``7.5``, ``seven``, ``about 80``, ``80%``,
    ``8/10`` (on a 0-100 question that is 80; on a 0-10 one, 80/100 is 8), and one
    number among words that say nothing more (``I'd say a 7``, ``6 I guess``)."""
    cleaned = clean_text(text).lower().rstrip(".!?")
    try:
        return _read_number(cleaned, low, high, whole)
    except NotAnAnswer as problem:
        plain = _without_filler(cleaned)
        if problem.key != "system.retry_number" or plain is None:
            raise
        return _read_number(plain, low, high, whole)


def _without_filler(text: str) -> str | None:
    """The words left when the filler is taken out; None when there was none to take
    ("5," stays a question: five, or the start of "5,5"?)."""
    words = re.sub(r"[,?!;]", " ", text).split()
    kept = [w for w in words if w.replace("'", "").replace("\u2019", "") not in _FILLER]
    return " ".join(kept) if kept and len(kept) < len(words) else None


def _read_number(cleaned: str, low: float | None, high: float | None, whole: bool) -> int | float:
    retry = NotAnAnswer("system.retry_number", low=_fmt(low), high=_fmt(high))
    cleaned = _ROUGHLY.sub("", cleaned)
    out_of = _OUT_OF.search(cleaned)
    cleaned = _PERCENT.sub("", _OUT_OF.sub("", cleaned)).strip()
    if cleaned in WORD_NUMBERS:
        value: float = WORD_NUMBERS[cleaned]
    else:
        # Plain digits with at most one decimal point: not "1,5" (1.5, 15, or 1 and 5?),
        # nor what float() also takes ("1_0", "1e3", "nan", other scripts' digits).
        if not _NUMERAL.fullmatch(cleaned):
            raise retry
        value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise retry
    if out_of is not None and high is not None and float(out_of["whole"]) != high:
        if high not in (10, 100):  # 4/10 on a 1-5 question: which number did they mean?
            raise NotAnAnswer("system.retry_range", low=_fmt(low), high=_fmt(high))
        value = value * high / float(out_of["whole"])  # 8/10 on a 0-100 question is 80
    if (low is not None and value < low) or (high is not None and value > high):
        raise NotAnAnswer("system.retry_range", low=_fmt(low), high=_fmt(high))
    if whole:
        if value != int(value):
            raise NotAnAnswer("system.retry_number", low=_fmt(low), high=_fmt(high))
        return int(value)
    return int(value) if value.is_integer() else value


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_yes_no(text: str) -> str:
    """``yes`` or ``no`` from a whole typed reply ("Yes!", "nope", "I'm not"); anything
    else ("not sure", "yes but...") is asked again: a guess could be the wrong way round."""
    cleaned = " ".join(re.sub(r"[^\w\s]", "", clean_text(text).lower()).split())
    if cleaned in YES_WORDS or cleaned in YES_PHRASES:
        return "yes"
    if cleaned in NO_WORDS or cleaned in NO_PHRASES:
        return "no"
    raise NotAnAnswer("system.retry_yes_no")


#: Whole replies that clearly deny thoughts of ending one's life. Anything else that is not
#: a yes ("I'm not sure", "not safe", "no... actually yes") is unclear, and unclear gets help.
_CLEAR_NO = {
    "no",
    "nope",
    "nah",
    "no im not",
    "no i am not",
    "im not",
    "i am not",
    "no never",
    "never",
    "no im ok",
    "no im okay",
    "no im fine",
    "no im alright",
    "no thoughts like that",
    "no i dont",
    "no i do not",
    "no thanks",
    "no thank you",
    "no gracias",
    "no estoy",
    "no no estoy",
    "no estoy bien",
    "no gracias estoy bien",
    "nunca",
    "no nunca",
}


def answer_to_direct_question(text: str) -> str:
    """``yes``, ``no`` or ``unclear`` for an answer to the direct question about suicide.

    Only a whole reply from a short list of denials is a "no"; a reply that starts with a
    yes word is a "yes"; everything else is ``unclear`` and is treated like a yes.
    """
    cleaned = " ".join(re.sub(r"[^\w\s]", "", clean_text(text).lower()).split())
    if cleaned in _CLEAR_NO:
        return "no"
    words = cleaned.split()
    if words and words[0] in YES_WORDS:
        return "yes"
    return "unclear"


_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$")


def parse_time(text: str) -> str:
    """Time of day as HH:MM from 19:30, 7:30pm, 7 pm, 0730, noon, midnight."""
    cleaned = clean_text(text).lower().replace(" o'clock", "")
    if cleaned in ("noon", "midday"):
        return "12:00"
    if cleaned == "midnight":
        return "00:00"
    if re.fullmatch(r"\d{4}", cleaned):
        cleaned = f"{cleaned[:2]}:{cleaned[2:]}"
    match = _TIME.match(cleaned)
    if not match:
        raise NotAnAnswer("system.retry_time")
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise NotAnAnswer("system.retry_time")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise NotAnAnswer("system.retry_time")
    return f"{hour:02d}:{minute:02d}"


def time_words(hhmm: str) -> str:
    """A saved time of day as a patient in the US reads it: "20:30" -> "8:30 pm"."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    if (hour, minute) == (12, 0):
        return "12:00 noon"
    if (hour, minute) == (0, 0):
        return "12:00 midnight"
    return f"{hour % 12 or 12}:{minute:02d} {'pm' if hour >= 12 else 'am'}"


@lru_cache(maxsize=1)
def _zones() -> tuple[dict[str, str], dict[str, str]]:
    by_name: dict[str, str] = {}
    by_city: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        by_name[zone.lower()] = zone
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/")):
            city = zone.rsplit("/", 1)[1].replace("_", " ").lower()
            by_city.setdefault(city, zone)
    return by_name, by_city


def parse_timezone(text: str) -> str:
    """An IANA zone from its name (america/chicago) or its city (Chicago, new york)."""
    cleaned = clean_text(text).lower().strip(" .")
    by_name, by_city = _zones()
    if cleaned in by_name:
        return by_name[cleaned]
    if cleaned.replace(" ", "_") in by_name:
        return by_name[cleaned.replace(" ", "_")]
    if cleaned in by_city:
        return by_city[cleaned]
    raise NotAnAnswer("system.retry_timezone")


def match_option(text: str, options: list[tuple[str, str]]) -> str | None:
    """The value of the option a typed answer names: its number, its words or its value."""
    cleaned = clean_text(text).lower().strip(" .!")
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(options):
        return options[int(cleaned) - 1][0]
    for value, label in options:
        if cleaned in (value.lower(), value.replace("_", " ").lower(), _plain(label)):
            return value
    return None


def _plain(label: str) -> str:
    letters = "".join(ch for ch in label.lower() if ch.isalnum() or ch.isspace())
    return " ".join(letters.split())
