"""Turn a chat message into a plain form that crisis phrases can be matched against.

People in distress type fast, misspell, hide words from filters (``k1ll``, ``s u i c i d e``,
zero-width characters) and mix English with Spanish. The normaliser undoes the common
tricks so that the phrase lists in ``content/crisis.yaml`` can stay readable:

* Unicode NFKC (full-width and styled letters become plain letters), casefold;
* accents stripped (``suicídarme`` == ``suicidarme``), zero-width and control characters removed;
* apostrophes dropped so ``can't`` and ``cant`` are the same word;
* runs of 3+ single letters separated by one space, dot or dash are joined
  (``k i l l`` -> ``kill``; in a message spelled out with two spaces between words, runs
  of two as well); ordinary words are never glued;
* digit and symbol swaps undone inside words that contain letters (``k1ll``, ``su1c1de``),
  while numbers (``988``, ``10/10``) and quantities (``10mg``, ``3am``) are left alone;
* a letter repeated 3+ times becomes one (``diiiie`` -> ``die``);
* every run of whitespace and punctuation becomes a single space.

The result contains only word characters separated by single spaces, with no leading or
trailing space.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize"]

# Zero-width, joiners, bidi marks, soft hyphen, BOM, variation selectors: removed outright,
# so that "ki\u200bll" is "kill". Other control characters become spaces.
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)
_CONTROLS = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + list(range(0x7F, 0xA0))
_APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u02b9`\u00b4"

_CLEAN_TABLE: dict[int, str | None] = {c: None for c in _INVISIBLE}
_CLEAN_TABLE.update({c: " " for c in _CONTROLS})
_CLEAN_TABLE.update({ord(c): None for c in _APOSTROPHES})

# Combining marks left after NFD decomposition (accents, tildes, cedillas...).
_COMBINING_TABLE: dict[int, None] = {c: None for c in range(0x300, 0x370)}
_COMBINING_TABLE.update({c: None for c in range(0x1AB0, 0x1B00)})
_COMBINING_TABLE.update({c: None for c in range(0x1DC0, 0x1E00)})
_COMBINING_TABLE.update({c: None for c in range(0x20D0, 0x2100)})
_COMBINING_TABLE.update({c: None for c in range(0xFE20, 0xFE30)})

_LEET_TABLE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_HAS_SWAP = re.compile(r"[0134579@$!]")
# A token (letters, digits and the swap symbols) that contains at least one swap character.
_SWAP_TOKEN = re.compile(r"[\w@$!]*[0134579@$!][\w@$!]*")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# 10mg, 3am, 2nd, 24hrs, 5k: a number with a unit, not a disguised word.
_QUANTITY = re.compile(r"\d+[^\W\d_]{1,3}")
_DOUBLE_ONE = re.compile(r"(?<=[^\W\d_])(?:11|!!)")
# Three or more single letters/digits separated by exactly one space, dot or dash.
_SPACED = re.compile(r"(?<![\w@$])[\w@$](?:[ .\-][\w@$]){2,}(?![\w@$])")
_SPACED_SEPARATORS = str.maketrans("", "", " .-")
# In a message spelled out letter by letter with two spaces between words
# ("m y  h u s b a n d  h i t s  m e"), short words are joined too.
_SPACED_PIECE = re.compile(r"(?:(?<=\s\s)|^)[\w@$](?: [\w@$])+(?=\s\s|$)")
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
_NON_WORD = re.compile(r"[\W_]+")
# "kill my self", "hurt him self": a reflexive pronoun written as two words is one word.
# Not "my self esteem", "my self harm": there "self" begins a word of its own.
_SELF_COMPOUND = (
    r"(?! (?:esteem|worth|confidence|care|respect|image|talk|control|doubt|compassion|love|help"
    r"|harm|pity|hatred|hate|loathing|defen[cs]e|discipline|medicat\w*|conscious\w*|aware\w*))"
)
_SPLIT_SELF = re.compile(r"\b(my|your|him|her|it|one) self\b" + _SELF_COMPOUND)
_SPLIT_SELVES = re.compile(r"\b(our|your|them) selves\b")


def _unswap(match: re.Match[str]) -> str:
    token = match.group()
    if not _HAS_LETTER.search(token) or _QUANTITY.fullmatch(token):
        return token
    core = token.strip("!")
    if not core:
        return token
    head = token[: len(token) - len(token.lstrip("!"))]
    tail = token[len(head) + len(core) :]
    core = _DOUBLE_ONE.sub("ll", core)
    return head + core.translate(_LEET_TABLE) + tail


def _join_spaced(match: re.Match[str]) -> str:
    return match.group().translate(_SPACED_SEPARATORS)


def normalize(text: str) -> str:
    """Return the matching form of ``text``: lower-case words separated by single spaces."""
    if not text:
        return ""
    if text.isascii():
        text = text.translate(_CLEAN_TABLE).lower()
    else:
        text = unicodedata.normalize("NFKC", text).translate(_CLEAN_TABLE).casefold()
        text = unicodedata.normalize("NFD", text).translate(_COMBINING_TABLE)
        text = unicodedata.normalize("NFC", text)
    if "  " in text and _SPACED.search(text):
        text = _SPACED_PIECE.sub(_join_spaced, text)
    text = _SPACED.sub(_join_spaced, text)
    if _HAS_SWAP.search(text):
        text = _SWAP_TOKEN.sub(_unswap, text)
    text = _REPEATED.sub(r"\1", text)
    text = _NON_WORD.sub(" ", text).strip()
    if " sel" in text:
        text = _SPLIT_SELVES.sub(r"\1selves", _SPLIT_SELF.sub(r"\1self", text))
    return text
