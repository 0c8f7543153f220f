"""What the application layer hands a channel for one event: a turn and how it went."""

from __future__ import annotations

from dataclasses import dataclass

from bot.safety.oncall import OncallNotice
from bot.shared.messages import Turn

__all__ = ["Reply", "reply_of"]


@dataclass
class Reply(Turn):
    """A turn as the channel needs it; ``duplicate`` marks a redelivered update.

    ``oncall_notice`` is set when this turn's crisis detection should reach the practice's
    on-call chat (sent by the channel after the patient's own reply).
    """

    duplicate: bool = False
    patient_id: int | None = None
    stored: bool = True
    oncall_notice: OncallNotice | None = None


def reply_of(turn: Turn, patient_id: int | None) -> Reply:
    """The reply for a turn the service stored for ``patient_id`` (None: a chat that has
    not agreed to storage, whose turn is kept in memory only)."""
    return Reply(
        messages=turn.messages,
        records=turn.records,
        profile_updates=turn.profile_updates,
        safety_events=turn.safety_events,
        pressed=turn.pressed,
        pressed_label=turn.pressed_label,
        keyboard=turn.keyboard,
        patient_id=patient_id,
    )
