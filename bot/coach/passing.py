"""Chats that have not agreed to storage: their place in an exercise, for a few hours.

Without a "yes" at /start nothing with the patient's chat id is written: no patient row,
no conversation, no journal, no reminder. /sos, /book, /help and the exercises that keep
no answers still work, so where such a chat stands (the step it is on, a crisis hold) has
to be kept between its messages, and kept where every process of the bot can read it (a
second process behind a load balancer may get the next message). It is kept in the
``passing_conversations`` table (bot.db.passing) in a form that names no one:

* the row's key is an HMAC of the channel and chat id, so the chat id is not in it;
* the conversation is sealed (AES-256-GCM, bot.db.crypto) with a key that is not in the
  database either, and bound to its row's key (AES-GCM's associated data): a sealed
  conversation copied into another chat's row does not open there.

Both keys are derived from a secret every process shares (``COACH_SECRET``, else the bot's
token); after a change of secret the old one (``COACH_SECRET_OLD``, or the token once
``COACH_SECRET`` is set) still finds and opens a chat's place, which then moves to the new
secret's name at the chat's next step. A row idle for
``IDLE_SECONDS`` counts as gone and is deleted by the hourly prune. A "yes" at /start
moves the conversation into the patient's own row from that step on, and deletes this one.

A crisis detected in such a chat still gets the help lines at once, and its safety
event is stored with no patient at all (``safety_events.patient_id`` NULL: the category,
the rule and the time), so the practice can count crises without knowing whose they were.
"""

from __future__ import annotations

import json
import logging
import os
import random
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from bot.db import passing, store
from bot.db.crypto import ChatNames, EncryptionError, KeyRing, SharedSecret
from bot.db.models import utcnow
from bot.shared.conversation import ConversationState
from bot.shared.messages import SafetyEvent, Turn

__all__ = ["IDLE_SECONDS", "PassingConversations", "agrees", "store_anonymously"]

log = logging.getLogger(__name__)

#: Seconds an unconsented chat's place is kept after its last message.
IDLE_SECONDS = 2 * 60 * 60
#: A fresh conversation's first question number is drawn below this, so a button of a
#: conversation that was forgotten cannot answer the new one's question.
_QUESTION_NUMBERS = 1_000_000


class PassingConversations:
    """Unconsented chats' conversations, sealed, by a keyed hash of the chat.

    ``secret``: the same in every process of one bot, never stored; without one (a test,
    a terminal) a random secret of this process is used.
    """

    def __init__(
        self,
        secret: SharedSecret | None = None,
        *,
        idle: timedelta = timedelta(seconds=IDLE_SECONDS),
    ) -> None:
        secret = secret if secret is not None else SharedSecret(os.urandom(32))
        self._names = ChatNames(secret, b"coach passing conversations: chat key")
        self._ring = KeyRing.derived(secret, b"coach passing conversations: seal")
        self.idle = idle

    def key_of(self, channel: str, external_id: str) -> str:
        """The row's key: names the chat to this bot only."""
        return self._names_of(channel, external_id)[0]

    def _names_of(self, channel: str, external_id: str) -> list[str]:
        """The row's key under each secret, the current one first."""
        return self._names.of(channel, external_id)

    def get(
        self, connection: Connection, channel: str, external_id: str, *, now: datetime | None = None
    ) -> ConversationState:
        """The chat's conversation, or a fresh one when none is kept (or it cannot be
        opened: the token changed since)."""
        since = (now or utcnow()) - self.idle
        for key in self._names_of(channel, external_id):
            sealed = passing.read(connection, key, since=since)
            if sealed is None:
                continue
            try:
                plain = self._ring.unseal(sealed, associated=key.encode("ascii"))
                return ConversationState.from_json(json.loads(plain))
            except (EncryptionError, ValueError, TypeError, KeyError):  # another version's
                pass
        return self.fresh()

    def keep(
        self,
        connection: Connection,
        channel: str,
        external_id: str,
        state: ConversationState,
        *,
        now: datetime | None = None,
    ) -> None:
        """Keep the conversation as the event left it, in the event's transaction.

        Best effort: a database that can be read but not written (a SQLite file another
        process holds a write lock on) still answers a chat that stores nothing, as it did
        when this place lived in memory; the chat's next button may then find its question
        gone, and is asked again. Its own savepoint, so the event's transaction goes on."""
        key, *old_names = self._names_of(channel, external_id)
        plain = json.dumps(state.to_json(), separators=(",", ":"))
        sealed = self._ring.seal(plain, associated=key.encode("ascii"))
        try:
            with connection.begin_nested():
                passing.keep(connection, key, sealed, now=now or utcnow())
                for name in old_names:  # moved to the current secret's name
                    passing.forget(connection, name)
        except DBAPIError as exc:
            log.warning("unconsented chat's place not kept error=%s", type(exc).__name__)

    def forget(self, connection: Connection, channel: str, external_id: str) -> None:
        """The chat agreed to storage (its conversation is its own row now), or asked for
        everything to be deleted."""
        for key in self._names_of(channel, external_id):
            passing.forget(connection, key)

    def holds(
        self, connection: Connection, channel: str, external_id: str, *, now: datetime | None = None
    ) -> bool:
        """A conversation of this chat is kept (and not idle)."""
        since = (now or utcnow()) - self.idle
        return any(
            passing.read(connection, key, since=since) is not None
            for key in self._names_of(channel, external_id)
        )

    def prune(self, connection: Connection, *, now: datetime | None = None) -> int:
        """Delete the idle ones; returns how many."""
        return passing.delete_idle(connection, before=(now or utcnow()) - self.idle)

    @staticmethod
    def fresh() -> ConversationState:
        state = ConversationState()
        state.question_number = random.randrange(_QUESTION_NUMBERS)
        return state


def agrees(turn: Turn) -> bool:
    """This turn is the patient's "yes" to storage (the onboarding's consent answer)."""
    return turn.profile_updates.get("consent") in ("yes", True)


def store_anonymously(
    connection: Connection, events: list[SafetyEvent], at: datetime | None = None
) -> None:
    """Crisis detections of a chat that has not agreed to storage: counted, with no patient."""
    store.add_safety_events(connection, patient_id=None, events=events, at=at)
