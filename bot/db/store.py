"""Data-access functions of the event path, by table group; this module gathers them.

They take a connection, return plain values, and never commit: the caller's one
transaction per inbound event commits the step, its journal records and the processed
update id together, or none of them. ``patients``, ``conversations``, ``journal`` (with
the safety events) and ``updates`` hold them; callers write ``store.<function>`` (and a
test may replace one there). The reminders' SQL is ``bot.reminders.store``.
"""

from __future__ import annotations

from bot.db.conversations import (
    ConcurrentUpdate,
    LoadedConversation,
    PendingSave,
    conversation_updated_at,
    load_conversation,
    load_conversations,
    save_conversation,
    save_conversations,
)
from bot.db.journal import (
    JournalItem,
    add_journal_records,
    add_safety_events,
    journal,
    journal_since,
    latest_at_by_kind,
    latest_journal,
    latest_safety_event_at,
)
from bot.db.patients import (
    PatientRecord,
    chats_of,
    created_since,
    delete_patient,
    find_patient,
    set_active,
    update_profile,
)
from bot.db.updates import PROCESSED_UPDATES_KEPT, claim_update, prune_processed_updates

__all__ = [
    "PROCESSED_UPDATES_KEPT",
    "ConcurrentUpdate",
    "JournalItem",
    "LoadedConversation",
    "PendingSave",
    "PatientRecord",
    "add_journal_records",
    "add_safety_events",
    "chats_of",
    "claim_update",
    "conversation_updated_at",
    "created_since",
    "delete_patient",
    "find_patient",
    "journal",
    "journal_since",
    "latest_at_by_kind",
    "latest_journal",
    "latest_safety_event_at",
    "load_conversation",
    "load_conversations",
    "prune_processed_updates",
    "save_conversation",
    "save_conversations",
    "set_active",
    "update_profile",
]
