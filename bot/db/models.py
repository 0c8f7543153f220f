"""The tables. Health data lives here and nowhere else (never in logs).

A conversation is one JSON document per patient (bot.shared.conversation), versioned by a
revision number so two processes cannot overwrite each other's step.
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
    display_name: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[str | None] = mapped_column(String(5))
    checkins: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool | None] = mapped_column(Boolean)
    crisis_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """Where a patient stands in the exercises (bot.flow.state.ConversationState)."""

    __tablename__ = "conversations"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
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
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
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
    text: Mapped[str] = mapped_column(Text)
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
