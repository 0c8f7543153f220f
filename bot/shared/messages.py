"""The values that cross the engine's boundary: an inbound event, an outbound turn.

Telegram, the terminal simulator and the tests all speak to the engine in these types
only, which is what lets one engine serve every channel.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

InboundKind = Literal["text", "button", "command"]


@dataclass(frozen=True)
class Inbound:
    """One thing the patient did: typed text, pressed a button, or sent a command.

    ``text`` is the typed text, or the command's arguments. ``button`` is the opaque
    token of a pressed button. ``command`` is the command's name without the slash.
    """

    kind: InboundKind
    text: str = ""
    button: str | None = None
    command: str | None = None
    #: When the channel received it (seconds since the epoch), if the channel paces
    #: messages in real time; lets the engine see a reply typed during a paced sequence.
    at: float | None = None

    @classmethod
    def message(cls, text: str) -> Inbound:
        """Typed text; a leading slash makes it a command, as in every chat app."""
        stripped = text.strip()
        if not stripped.startswith("/") and "/" in stripped[:8]:
            # "\u200b/sos", "/\u200bsos", "\x00/sos": invisible or control characters
            # around a command are dropped, so /sos still gives the help lines.
            visible = _without_invisible(stripped)
            stripped = visible if visible.startswith("/") else stripped
        elif stripped.startswith("/"):
            stripped = _without_invisible(stripped)
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            name, _, args = stripped[1:].partition(" ")
            return cls(kind="command", command=name.split("@", 1)[0].lower(), text=args.strip())
        return cls(kind="text", text=text)

    @classmethod
    def press(cls, token: str) -> Inbound:
        """A button press carrying the token the engine put on the button."""
        return cls(kind="button", button=token)


@dataclass(frozen=True)
class Button:
    """A button under a message: either answers with ``token`` or opens ``url``."""

    label: str
    token: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a ``photo`` (a chart) or a ``document`` (a PDF, JSON)."""

    kind: Literal["photo", "document"]
    filename: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class OutboundMessage:
    """One message to show. ``text`` is already escaped for Telegram's HTML mode.

    ``pause_before`` is a delay in seconds before this message is sent (breathing cues);
    a channel must wait without blocking other patients. With ``attachment`` the message
    is that file, and ``text`` its caption (at most 1,024 characters).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    pause_before: float = 0.0
    kind: Literal["normal", "crisis"] = "normal"
    attachment: Attachment | None = None


@dataclass(frozen=True)
class JournalRecord:
    """An entry for the patient's journal, written with the step that produced it."""

    kind: str
    flow_id: str
    flow_version: int
    data: dict[str, Any]


#: The rule id of a detection that was asked about first starts with this: only the
#: answer to the question, never the question, reaches the on-call chat.
ASKED_PREFIX = "ask:"


@dataclass(frozen=True)
class SafetyEvent:
    """A crisis detection: what kind and which rule, never the words that matched.

    ``rule_id`` is the rule's id, or the learned layer's score band (``learned:0.6-0.7``),
    and starts with ``ask:`` when the coach asked the patient directly first.
    """

    category: str
    rule_id: str

    @property
    def asked(self) -> bool:
        """Whether this detection got the direct question rather than the crisis answer."""
        return self.rule_id.startswith(ASKED_PREFIX)


@dataclass(frozen=True)
class Screening:
    """What the crisis screen made of one text: plain values the engine can act on.

    ``event`` is None when the text goes through. ``asks``: the patient is asked directly
    first. ``language``: the language to answer in (None: the default). ``probability``
    and ``category``: the learned layer's reading, kept (numbers only) so the next few
    messages can be read together with this one. ``words``: how many words the text has
    (a language is only told from a text of a few words).
    """

    event: SafetyEvent | None = None
    asks: bool = False
    language: str | None = None
    words: int = 0
    probability: float = 0.0
    category: str | None = None


@dataclass
class Turn:
    """What one inbound event produced: messages to send and data to store.

    For a button press, ``pressed`` says how the channel should treat the keyboard the
    button was on: ``answered`` (remove it, showing ``pressed_label``), ``replace`` (show
    ``keyboard`` instead, for ticking several buttons), or ``stale`` (an old question).
    """

    messages: list[OutboundMessage] = field(default_factory=list)
    records: list[JournalRecord] = field(default_factory=list)
    profile_updates: dict[str, Any] = field(default_factory=dict)
    safety_events: list[SafetyEvent] = field(default_factory=list)
    pressed: Literal["answered", "replace", "stale"] | None = None
    pressed_label: str | None = None
    keyboard: tuple[tuple[Button, ...], ...] = ()
    #: Where the patient's own safety plan goes (an index into ``messages``) when a crisis
    #: answer should show it first and the engine did not have it: the caller loads it.
    safety_plan_at: int | None = None
    safety_plan_language: str | None = None


def _without_invisible(text: str) -> str:
    """``text`` without format characters (zero-width spaces and joiners, bidi marks, BOM)
    and control characters other than whitespace."""
    return "".join(
        c for c in text if c.isspace() or unicodedata.category(c) not in ("Cf", "Cc")
    ).strip()
