"""The tables. Health data lives here and nowhere else (never in logs).

A conversation is one JSON document per patient (bot.shared.conversation), versioned by a
revision number so two processes cannot overwrite each other's step.

Over 300 lines: every table in one file, so whoever writes a migration or asks what is
stored sees the whole schema at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.crypto import EncryptedJSON, EncryptedText


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Patient(Base):
    """Someone who talks to the coach on one channel (Telegram, or the simulator)."""

    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_patient_channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(EncryptedText())
    timezone: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[str | None] = mapped_column(String(5))
    checkins: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool | None] = mapped_column(Boolean)
    crisis_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the patient last wrote or tapped (within the hour; bot.db.retention): retention
    # removes patients not seen for RETENTION_MONTHS. NULL: not since it was added.
    last_seen_at: Mapped[datetime | None] = mapped_column()
    # When a questionnaire was last offered after a check-in (bot.coach.measure_offers):
    # an offer left unanswered is not repeated after every check-in. Migration 0010.
    measure_offered_at: Mapped[datetime | None] = mapped_column()


class Conversation(Base):
    """Where a patient stands in the exercises (bot.flow.state.ConversationState)."""

    __tablename__ = "conversations"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalEntry(Base):
    """Something the patient recorded: a thought record, a check-in, a trigger."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_patient_created", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedUpdate(Base):
    """Channel update ids already handled, so a redelivered update is handled once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafetyEventRow(Base):
    """A crisis detection: when, what kind, which rule. Never the message."""

    __tablename__ = "safety_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """A patient's daily check-in reminder: when it is next due (UTC), and how it has gone.

    ``next_due`` is NULL when reminders are off. A dispatcher claims a due row by moving
    ``next_due`` forward in the same transaction that writes its ``ReminderSend``.
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_next_due", "next_due"),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    next_due: Mapped[datetime | None] = mapped_column()
    skip_on: Mapped[str | None] = mapped_column(String(10))  # a local date, YYYY-MM-DD
    resume_on: Mapped[str | None] = mapped_column(String(10))  # a local date, YYYY-MM-DD
    unanswered: Mapped[int] = mapped_column(Integer, default=0)
    # The patient chose to see the check-in's own question instead of the neutral line.
    detailed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sent_at: Mapped[datetime | None] = mapped_column()


class ReminderSend(Base):
    """One claimed reminder: written when claimed, marked when Telegram accepted it.

    Unique per patient and due instant, so the same reminder can never be claimed twice.
    A row left unsent (the process died) is sent again after its lease, within the grace.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint("patient_id", "due_at", name="uq_reminder_send_due"),
        Index("ix_reminder_sends_open", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column()
    gentle: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(
        String(16)
    )  # pending, sending, sent, unknown, skipped, expired, blocked, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


# -- Encryption at rest (bot.db.crypto, bot.db.keys) ----------------------------------------


class EncryptionKey(Base):
    """A key id that has sealed values here (never the key): a start with keys that cannot
    open them is refused. ``coach rotate-key`` removes an id once no value uses it."""

    __tablename__ = "encryption_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_used_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Measurement-based care (issue 15): one row per questionnaire administration ---------


class MeasureAdministration(Base):
    """One questionnaire given (or offered and skipped): measure, version, each item's
    answer and points, the total, its band, the flags, when and how it was delivered.
    No free text, so plain columns; ``skipped`` rows carry no answers and no total."""

    __tablename__ = "measure_administrations"
    __table_args__ = (
        Index("ix_measures_patient_taken", "patient_id", "taken_at"),
        Index("ix_measures_patient_measure_taken", "patient_id", "measure", "taken_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    item_scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(40))
    positive: Mapped[bool | None] = mapped_column(Boolean)
    flags: Mapped[list[str]] = mapped_column(JSON)
    missing: Mapped[list[str]] = mapped_column(JSON)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered: Mapped[str] = mapped_column(String(16))  # asked, reminder, checkin
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- The clinician portal (bot.portal; migration 0005) ----------------------------------------


class Clinician(Base):
    """A member of the practice who signs in to the portal (password and TOTP)."""

    __tablename__ = "portal_clinicians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_totp_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalSession(Base):
    """A signed-in browser: the cookie holds a random id, the row only its hash."""

    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("portal_clinicians.id", ondelete="CASCADE")
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """A one-use, expiring invitation to share; ``label`` is the practice's own name for the
    patient (a name or record number), never shown to the bot or the patient."""

    __tablename__ = "portal_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(EncryptedText())  # sealed: it names the patient
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("portal_clinicians.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class Share(Base):
    """A patient's choice to share with the practice; withdrawn_at ends it at once."""

    __tablename__ = "portal_shares"
    __table_args__ = (Index("ix_portal_shares_patient", "patient_id", "withdrawn_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_invitations.id", ondelete="SET NULL")
    )
    scores: Mapped[bool] = mapped_column(Boolean, default=True)
    crisis: Mapped[bool] = mapped_column(Boolean, default=True)
    journal: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()


class Alert(Base):
    """Something the practice should look at: new, then acknowledged, then closed with a note."""

    __tablename__ = "portal_alerts"
    __table_args__ = (Index("ix_portal_alerts_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("portal_shares.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")  # new, acknowledged, closed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("portal_clinicians.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("portal_clinicians.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column()
    close_note: Mapped[str | None] = mapped_column(EncryptedText())


class AuditEntry(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did or saw what, and when.

    ``share_id`` is a plain number, not a foreign key, so the record outlives a deletion."""

    __tablename__ = "portal_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    clinician_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    share_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(200))


# -- Durable outbox (issue 13, item 4): replies written with their step, sent after commit --


class OutboxMessage(Base):
    """A reply committed with its step and not yet accepted by the channel (bot.db.outbox).

    The row is deleted once the channel accepted the message, so a reply's words stay in
    the database only while they are on their way. ``lease_owner``/``lease_until``: the
    live process sending it now; ``not_before``: a rate limit or a failure's back-off.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_chat", "channel", "chat_id", "id"),
        Index("ix_outbox_due", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(EncryptedText())  # a reply can repeat the patient's words
    buttons: Mapped[list[Any]] = mapped_column(JSON)
    pause_before: Mapped[float] = mapped_column(Float, default=0.0)
    kind: Mapped[str] = mapped_column(String(8))
    #: After the turn's first pause: the patient already saw the turn's first messages.
    paced: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- Unconsented chats (bot.coach.passing): where they stand, shared by every process --


class PassingConversation(Base):
    """Where a chat that has not agreed to storage stands in an exercise, for a few hours.

    Nothing here names the chat: ``chat_key`` is a keyed hash of the channel and chat id,
    and ``sealed`` is the conversation sealed with a key the database never sees (both
    from the bot's token, bot.coach.passing). A row idle for two hours is deleted.
    """

    __tablename__ = "passing_conversations"
    __table_args__ = (Index("ix_passing_updated", "updated_at"),)

    chat_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column()
