"""What the application layer hands a channel for one event: a turn and how it went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.db.outbox import Pending
from bot.safety.oncall import OncallNotice
from bot.shared.messages import OutboundMessage, Turn

__all__ = ["Reply", "reply_of"]


@dataclass
class Reply(Turn):
    """A turn as the channel needs it; ``duplicate`` marks a redelivered update.

    ``oncall_notice`` is set when this turn's crisis detection should reach the practice's
    on-call chat (sent by the channel after the patient's own reply).
    ``outbox``: the stored turn's messages as committed to the outbox, for the channel to
    send and mark sent (bot.db.outbox); None when ``messages`` were not stored (send them
    as they are).
    """

    duplicate: bool = False
    patient_id: int | None = None
    stored: bool = True
    oncall_notice: OncallNotice | None = None
    #: Files drawn after the transaction, off the event loop (the /progress chart and PDF):
    #: the service appends what it returns to ``messages``.
    render_later: Callable[[], list[OutboundMessage]] | None = None
    outbox: list[Pending] | None = None


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
