"""When the chat was shown the /delete confirmation: kept with its conversation.

A press of "Delete everything" erases only when the same chat was shown that button in
the last ``DELETE_CONFIRM_SECONDS`` (a forged or long-forgotten press is asked again).
The mark used to live in one process's memory, so behind a load balancer, or after a
restart, the press landed where nobody had asked and the patient was asked a second
time. It is now part of the chat's stored conversation (its own row, or, for a chat that
has not agreed to storage, its sealed passing row), which every process reads in the
event's transaction. A wall-clock time, since processes share no monotonic clock.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection

from bot.coach.passing import PassingConversations
from bot.db import store
from bot.shared.conversation import ConversationState

__all__ = ["DELETE_CONFIRM_SECONDS", "delete_was_asked", "mark_delete_asked"]

#: How long the /delete confirmation button stays good (seconds).
DELETE_CONFIRM_SECONDS = 15 * 60


def mark_delete_asked(
    connection: Connection,
    channel: str,
    external_id: str,
    passing: PassingConversations,
    *,
    now: float | None = None,
) -> None:
    """The chat is being shown the confirmation now."""
    loaded, state = _stored_state(connection, channel, external_id, passing)
    state.delete_asked_at = time.time() if now is None else now
    if loaded is not None:
        store.save_conversation(
            connection, patient_id=loaded.patient.id, state=state, revision=loaded.revision
        )
    else:
        passing.keep(connection, channel, external_id, state)


def delete_was_asked(
    connection: Connection,
    channel: str,
    external_id: str,
    passing: PassingConversations,
    *,
    now: float | None = None,
) -> bool:
    """Was the chat shown the confirmation within ``DELETE_CONFIRM_SECONDS``?"""
    at = time.time() if now is None else now
    asked = _stored_state(connection, channel, external_id, passing)[1].delete_asked_at
    # Either way round: two processes' clocks may be a few seconds apart.
    return asked is not None and abs(at - asked) <= DELETE_CONFIRM_SECONDS


def _stored_state(
    connection: Connection, channel: str, external_id: str, passing: PassingConversations
) -> tuple[store.LoadedConversation | None, ConversationState]:
    """The chat's conversation: the patient's own row, else its passing one."""
    loaded = store.load_conversation(
        connection, channel=channel, external_id=external_id, create=False
    )
    if loaded is not None:
        return loaded, loaded.state
    return None, passing.get(connection, channel, external_id)
