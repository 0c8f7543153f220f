"""A conversation as plain, serialisable data.

This is everything the engine knows about a patient's place in the exercises; it is
stored as JSON in one row and is all that is needed to resume after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Asked",
    "ConversationState",
    "Crisis",
    "Frame",
    "Hold",
    "PatientView",
    "RecentRisk",
    "hold_from_json",
    "hold_to_json",
]

_ASKED = "asked:"


@dataclass(frozen=True)
class Crisis:
    """Held after a crisis response in an exercise, until the patient chooses to go back."""


@dataclass(frozen=True)
class Asked:
    """Held while the direct question of ``category`` waits for its answer.

    ``language``: the language the question was asked in; the answer's help comes in it.
    """

    category: str
    language: str | None = None


#: Why the conversation waits before the exercise goes on; None: it does not.
Hold = Crisis | Asked | None


def hold_to_json(hold: Hold) -> str | None:
    """Stored as before the type existed: ``"crisis"``, ``"asked:<category>"`` or null."""
    if isinstance(hold, Crisis):
        return "crisis"
    if isinstance(hold, Asked):
        suffix = f":{hold.language}" if hold.language else ""
        return _ASKED + hold.category + suffix
    return None


def hold_from_json(value: object) -> Hold:
    if value == "crisis":
        return Crisis()
    if isinstance(value, str) and value.startswith(_ASKED):
        category, _, language = value[len(_ASKED) :].partition(":")
        return Asked(category, language or None)
    return None


@dataclass(frozen=True)
class RecentRisk:
    """What the crisis screen's learned layer read in one recent message: numbers only.

    ``at`` is when it came (seconds since the epoch), ``probability`` how likely it was a
    crisis, ``category`` of which kind. Kept a few minutes, never the words.
    """

    at: float
    probability: float
    category: str | None = None


@dataclass
class Frame:
    """One running flow: where it stands and what was answered so far.

    ``step`` of a frame below the top of the stack is the ``call`` step it waits on.
    ``selection`` holds the buttons ticked so far on a multi-choice question. ``asks`` is
    what the waiting step meant when it was shown (bot.flow.versions.meaning), so a flow
    change that keeps the step's name but changes its question is noticed.
    """

    flow_id: str
    flow_version: int
    step: str
    variables: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    selection: list[str] = field(default_factory=list)
    asks: str | None = None


@dataclass
class ConversationState:
    """The stack of running flows (last is current) and an exercise set aside.

    ``question_number`` numbers the questions asked; a button carries the number of its
    question so a press on an old question is recognised as stale (stored as ``turn``).
    ``hold`` is a Crisis after a crisis response in an exercise (it waits until the patient
    chooses to go back to it), or Asked while the direct question waits for its answer.
    ``paced_until`` is when the last paced sequence (breathing cues) finishes arriving:
    text typed before then answers a question the patient has not seen yet.
    """

    frames: list[Frame] = field(default_factory=list)
    paused: list[Frame] = field(default_factory=list)
    question_number: int = 0
    hold: Hold = None
    paced_until: float | None = None
    #: The crisis screen's reading of the last few messages (numbers, never words).
    recent_risk: list[RecentRisk] = field(default_factory=list)
    #: The language of the patient's last messages of a few words (None: English): /sos
    #: and the words after a crisis answer come in it.
    language: str | None = None
    #: When the direct question now waiting was asked (seconds since the epoch), if known.
    asked_at: float | None = None
    #: What the message that earned the direct question asked for outside an exercise (an
    #: intent id of content/intents.yaml, never its words): offered after a clear "no".
    asked_intent: str | None = None
    #: When the chat was shown the /delete confirmation (seconds since the epoch), if it
    #: was: a press of its button erases only soon after (bot.coach.delete_mark).
    delete_asked_at: float | None = None

    @property
    def current(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def to_json(self) -> dict[str, Any]:
        # Written out rather than dataclasses.asdict, whose deep copy was a third of the
        # database work of a step (benchmarks/telegram_e2e.py --profile).
        return {
            "frames": [_frame_json(f) for f in self.frames],
            "paused": [_frame_json(f) for f in self.paused],
            "turn": self.question_number,
            "hold": hold_to_json(self.hold),
            "paced_until": self.paced_until,
            "recent_risk": [
                {"at": r.at, "probability": r.probability, "category": r.category}
                for r in self.recent_risk
            ],
            "language": self.language,
            "asked_at": self.asked_at,
            "asked_intent": self.asked_intent,
            "delete_asked_at": self.delete_asked_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConversationState:
        if not data:
            return cls()
        return cls(
            frames=[Frame(**f) for f in data.get("frames", [])],
            paused=[Frame(**f) for f in data.get("paused", [])],
            question_number=int(data.get("turn", 0)),
            hold=hold_from_json(data.get("hold")),
            paced_until=data.get("paced_until"),
            recent_risk=[RecentRisk(**r) for r in data.get("recent_risk", [])],
            language=data.get("language"),
            asked_at=data.get("asked_at"),
            asked_intent=data.get("asked_intent"),
            delete_asked_at=data.get("delete_asked_at"),
        )


def _frame_json(frame: Frame) -> dict[str, Any]:
    return {
        "flow_id": frame.flow_id,
        "flow_version": frame.flow_version,
        "step": frame.step,
        "variables": dict(frame.variables),
        "labels": dict(frame.labels),
        "selection": list(frame.selection),
        "asks": frame.asks,
    }


@dataclass(frozen=True)
class PatientView:
    """What the engine may know about the patient: only what fills in texts."""

    name: str | None = None
    timezone: str | None = None
    checkin_time: str | None = None
    #: The patient's own safety plan as Telegram HTML; loaded only for /sos, shown first.
    safety_plan_html: str | None = None
    #: They agreed at /start to their answers being stored. Without it an exercise that
    #: keeps answers (a journal entry, the profile) asks for /start instead of running.
    consented: bool = True
    #: The fields of the patient's latest journal entry of a kind (None: they have none),
    #: read only when a step's ``recall:`` asks, so no other event pays for it.
    latest_entry: Callable[[str], Mapping[str, Any] | None] | None = None

    def variables(self) -> dict[str, Any]:
        return {
            "patient.name": self.name or "",
            "patient.timezone": self.timezone or "",
            "patient.checkin_time": self.checkin_time or "",
        }
