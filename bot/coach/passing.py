"""Chats that have not agreed to storage: their place in an exercise, in memory only.

Without a "yes" at /start nothing with the patient's chat id is written: no patient row,
no conversation, no journal, no reminder. /sos, /book, /help and the exercises that keep
no answers still work, so where such a chat stands (the step it is on, a crisis hold)
lives here, in this process's memory, for as long as the chat keeps using it: an entry
idle for ``IDLE_SECONDS`` is forgotten, and at most ``LIMIT`` chats are held (the least
recently used goes first). A restart forgets them all; the patient starts the exercise
again. A "yes" at /start moves the conversation into the database from that step on.

A crisis detected in such a chat still gets the help lines at once, and its safety
event is stored with no patient at all (``safety_events.patient_id`` NULL: the category,
the rule and the time), so the practice can count crises without knowing whose they were.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.engine import Connection

from bot.db import store
from bot.shared.conversation import ConversationState
from bot.shared.messages import SafetyEvent, Turn

__all__ = ["IDLE_SECONDS", "LIMIT", "PassingConversations", "agrees", "store_anonymously"]

#: Seconds an unconsented chat's place is kept after its last message.
IDLE_SECONDS = 2 * 60 * 60
#: Unconsented chats held at once (about 1 KB each: 11 MB at the limit, benchmarks/passing.py).
LIMIT = 10_000
#: A fresh conversation's first question number is drawn below this, so a button of one
#: this process forgot (or of another process) cannot answer the new one's question.
_QUESTION_NUMBERS = 1_000_000


class PassingConversations:
    """Unconsented chats' conversations by external id, kept only in memory."""

    def __init__(
        self,
        *,
        idle_seconds: float = IDLE_SECONDS,
        limit: int = LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.limit = limit
        self._clock = clock
        self._held: OrderedDict[str, tuple[float, ConversationState]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._held

    def get(self, external_id: str) -> ConversationState:
        """A copy of the chat's conversation (a fresh one if none is held): the engine
        changes it in place, and only ``keep`` after the event's commit makes that count."""
        self._forget_idle()
        held = self._held.get(external_id)
        if held is None:
            state = ConversationState()
            state.question_number = random.randrange(_QUESTION_NUMBERS)
            return state
        return ConversationState.from_json(held[1].to_json())

    def keep(self, external_id: str, state: ConversationState) -> None:
        """Hold the conversation as the event left it."""
        self._held[external_id] = (self._clock(), state)
        self._held.move_to_end(external_id)
        while len(self._held) > self.limit:
            self._held.popitem(last=False)

    def forget(self, external_id: str) -> None:
        """The chat agreed to storage (its conversation is in the database now), or asked
        for everything to be deleted."""
        self._held.pop(external_id, None)

    def _forget_idle(self) -> None:
        cutoff = self._clock() - self.idle_seconds
        while self._held:
            oldest = next(iter(self._held.values()))
            if oldest[0] >= cutoff:
                return
            self._held.popitem(last=False)


def agrees(turn: Turn) -> bool:
    """This turn is the patient's "yes" to storage (the onboarding's consent answer)."""
    return turn.profile_updates.get("consent") in ("yes", True)


def store_anonymously(connection: Connection, events: list[SafetyEvent]) -> None:
    """Crisis detections of a chat that has not agreed to storage: counted, with no patient."""
    store.add_safety_events(connection, patient_id=None, events=events)
