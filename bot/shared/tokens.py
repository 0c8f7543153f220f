"""Every button token the coach puts on a button: encoded and parsed here, nowhere else.

A token is what Telegram hands back when a button is pressed (``callback_data``, at most
64 bytes), so it is kept short and plain:

* ``<n>:<value>`` answers question number ``n`` (a press on an older question is stale);
  ``value`` is the ask kind's own (``3``, ``v7``, ``yes``, ``tz2``, ``skip``, ``done``).
* ``flow:<id>`` opens a flow; ``sys:<action>`` is one of the coach's own buttons.
* ``sys:asked_yes:<category>`` / ``sys:asked_no:<category>`` answer the direct question.
* ``share:<action>`` or ``share:<action>:<code>`` answers an invitation to share with the
  practice, or changes what is shared (``bot.coach.sharing``).
* ``noop`` is on a button that does nothing (a pressed answer's marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "NOOP",
    "Answer",
    "AskedAnswer",
    "OpenFlow",
    "ShareChoice",
    "SystemAction",
    "SystemButton",
    "Token",
    "Unknown",
    "encode",
    "parse",
]

NOOP = "noop"
_FLOW = "flow"
_SYS = "sys"
_ASKED_YES = "asked_yes"
_ASKED_NO = "asked_no"
_SHARE = "share"


class SystemButton(StrEnum):
    """The coach's own buttons (``sys:<action>``)."""

    MENU = "menu"
    CONTINUE = "continue"
    RESUME = "resume"
    STOP = "stop"
    SOS = "sos"
    BOOK = "book"
    DELETE_EVERYTHING = "delete_everything"
    PROGRESS = "progress"
    PROGRESS_LONG = "progress_12"


@dataclass(frozen=True)
class Answer:
    """An answer button of question ``question_number``; ``value`` as the ask kind wrote it."""

    question_number: int
    value: str


@dataclass(frozen=True)
class OpenFlow:
    flow_id: str


@dataclass(frozen=True)
class SystemAction:
    """``sys:<action>``; ``action`` may be one no longer known (an old button): stale."""

    action: str

    @property
    def button(self) -> SystemButton | None:
        try:
            return SystemButton(self.action)
        except ValueError:
            return None


@dataclass(frozen=True)
class AskedAnswer:
    """Yes or No to the direct question of ``category``."""

    yes: bool
    category: str


@dataclass(frozen=True)
class ShareChoice:
    """A choice about sharing with the practice: ``action`` and, for an invitation, its code."""

    action: str
    code: str = ""


@dataclass(frozen=True)
class Unknown:
    """Anything else (a token from an older version of the coach): stale."""

    raw: str


Token = Answer | OpenFlow | SystemAction | AskedAnswer | ShareChoice | Unknown


def encode(token: Token | SystemButton) -> str:
    """The ``callback_data`` of a button."""
    if isinstance(token, SystemButton):
        return f"{_SYS}:{token.value}"
    if isinstance(token, Answer):
        return f"{token.question_number}:{token.value}"
    if isinstance(token, OpenFlow):
        return f"{_FLOW}:{token.flow_id}"
    if isinstance(token, SystemAction):
        return f"{_SYS}:{token.action}"
    if isinstance(token, AskedAnswer):
        return f"{_SYS}:{_ASKED_YES if token.yes else _ASKED_NO}:{token.category}"
    if isinstance(token, ShareChoice):
        return f"{_SHARE}:{token.action}:{token.code}" if token.code else f"{_SHARE}:{token.action}"
    return token.raw


def parse(raw: str) -> Token:
    """What a pressed button's ``callback_data`` means."""
    kind, _, payload = raw.partition(":")
    if kind == _FLOW:
        return OpenFlow(payload)
    if kind == _SYS:
        action, colon, category = payload.partition(":")
        if colon and action in (_ASKED_YES, _ASKED_NO):
            return AskedAnswer(action == _ASKED_YES, category)
        return SystemAction(payload)
    if kind == _SHARE:
        action, _, code = payload.partition(":")
        return ShareChoice(action, code)
    if kind.isdigit():
        return Answer(int(kind), payload)
    return Unknown(raw)
