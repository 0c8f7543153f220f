"""Reminder rows: schedule them, claim the due ones exactly once, record how sending went.

Over 300 lines: every statement on ``reminders`` and ``reminder_sends`` in one place, so the
exactly-once argument below can be checked against all of them (the rules: policy.py).

Exactly once: a due reminder is claimed by moving its ``next_due`` forward with a
conditional UPDATE (``WHERE next_due = <the value read>``) in the same transaction that
inserts its ``reminder_sends`` row (unique per patient and due instant). PostgreSQL also
reads the due rows with ``FOR UPDATE SKIP LOCKED``, so two bot processes split a batch
instead of queueing on each other; SQLite has one writer per process.

A claimed row is ``pending`` with a lease. Just before its request goes to Telegram it
becomes ``sending`` (committed, and only if this claim still owns it), then ``sent`` once
Telegram accepted it. After a crash:

* ``pending`` rows were never sent: they are claimed again when their lease has run out,
  and sent if still within the grace period, else marked ``expired``;
* ``sending`` rows may or may not have reached Telegram (nobody can tell: the Bot API has
  no idempotency key). They are never sent again, so a reminder is never doubled; they
  become ``unknown``. A reminder is lost only if the process died in the instant between
  committing ``sending`` and its request reaching Telegram.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db.models import Conversation, Patient, Reminder, ReminderSend, as_utc
from bot.reminders.policy import (
    BUSY,
    GENTLE_AFTER,
    GENTLE_EVERY_DAYS,
    HOLD_BLOCKS,
    MAX_ATTEMPTS,
    SendStatus,
    answered,
    plan,
    send_status,
    zone,
)
from bot.shared.conversation import ConversationState
from bot.shared.zones import local_date

__all__ = [
    "BUSY",
    "GENTLE_AFTER",
    "GENTLE_EVERY_DAYS",
    "HOLD_BLOCKS",
    "MAX_ATTEMPTS",
    "Claim",
    "claim_due",
    "claim_stale",
    "mark_blocked",
    "mark_sent",
    "reschedule",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """One reminder this process now owns: send it, then mark it."""

    send_id: int
    patient_id: int
    external_id: str
    due_at: datetime
    gentle: bool
    detailed: bool = False
    attempt: int = 1  # which claim of this send row this is (a stale row is claimed again)


# -- scheduling (called when the profile changes) -------------------------------------------


def schedule_missing(session: Connection, *, channel: str, now: datetime) -> int:
    """Give a schedule to patients who chose daily check-ins but have none yet (they chose
    before reminders existed, as after migration 0002); returns how many."""
    missing = (
        session.execute(
            select(Patient.id)
            .outerjoin(Reminder, Reminder.patient_id == Patient.id)
            .where(
                Patient.channel == channel,
                Patient.checkins.is_(True),
                Patient.checkin_time.is_not(None),
                Reminder.patient_id.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for patient_id in missing:
        reschedule(session, patient_id=patient_id, now=now)
    return len(missing)


def reschedule(
    session: Connection,
    *,
    patient_id: int,
    now: datetime,
    turned_on: bool = False,
    skip_tomorrow: bool = False,
    pause_days: int | None = None,
    detailed: bool | None = None,
) -> datetime | None:
    """Recompute the patient's next due instant from their profile; returns it (None: off).

    ``turned_on`` clears an earlier skip or pause; ``skip_tomorrow`` drops tomorrow's
    (local) reminder only; ``pause_days`` drops today's and the next N-1 days';
    ``detailed`` (when given) chooses the check-in's question over the neutral line.
    """
    patient = session.execute(
        select(Patient.timezone, Patient.checkin_time, Patient.checkins, Patient.active).where(
            Patient.id == patient_id
        )
    ).first()
    if patient is None:
        return None
    row = session.execute(
        select(Reminder.skip_on, Reminder.resume_on, Reminder.last_sent_at).where(
            Reminder.patient_id == patient_id
        )
    ).first()
    skip_on, resume_on, last_sent = (row[0], row[1], row[2]) if row else (None, None, None)
    if turned_on:
        skip_on = resume_on = None
    where = zone(patient.timezone)
    if where is not None:
        today = local_date(now, where)
        if skip_tomorrow:
            skip_on = (today + timedelta(days=1)).isoformat()
        if pause_days:
            resume_on = (today + timedelta(days=pause_days)).isoformat()
    schedule = plan(patient.timezone, patient.checkin_time, skip_on, resume_on)
    due = None
    if schedule and patient.checkins and patient.active:
        # One reminder a day: a time moved to later today after today's was sent waits.
        sent_today = last_sent is not None and local_date(as_utc(last_sent), schedule.zone) == (
            local_date(now, schedule.zone)
        )
        tomorrow = local_date(now, schedule.zone) + timedelta(days=1)
        due = schedule.next_after(now, tomorrow if sent_today else None)
    values: dict[str, object] = {"next_due": due, "skip_on": skip_on, "resume_on": resume_on}
    if turned_on:
        values["unanswered"] = 0
    if detailed is not None:
        values["detailed"] = detailed
    _upsert(session, patient_id, values)
    log.info("reminder scheduled patient=%d on=%s", patient_id, due is not None)
    return due


def _upsert(session: Connection, patient_id: int, values: dict[str, object]) -> None:
    done = session.execute(
        update(Reminder).where(Reminder.patient_id == patient_id).values(**values)
    )
    if done.rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(
                insert(Reminder).values(**{"unanswered": 0, **values, "patient_id": patient_id})
            )
    except IntegrityError:  # another transaction inserted it a moment ago
        session.execute(update(Reminder).where(Reminder.patient_id == patient_id).values(**values))


# -- claiming --------------------------------------------------------------------------------


def claim_due(
    session: Connection,
    *,
    channel: str,
    now: datetime,
    grace: timedelta,
    lease: timedelta,
    limit: int,
) -> tuple[list[Claim], int]:
    """Claim up to ``limit`` due reminders: advance each schedule and write its send row.

    Returns the reminders to send and how many due rows were handled (0: none are left).
    A reminder later than ``grace`` is not sent; its row says ``expired`` and the next
    one is scheduled. Nor is one sent to a patient in the middle of something (an
    exercise in the last ``BUSY`` minutes, or waiting after a crisis response): a check-in
    must not push that aside; its row says ``skipped``. Patients who are inactive or
    turned reminders off are unscheduled.
    """
    rows = session.execute(
        select(
            Reminder.patient_id,
            Reminder.next_due,
            Reminder.skip_on,
            Reminder.resume_on,
            Reminder.unanswered,
            Reminder.last_sent_at,
            Reminder.detailed,
            Patient.external_id,
            Patient.timezone,
            Patient.checkin_time,
            Patient.checkins,
            Patient.active,
            Conversation.updated_at,
            Conversation.state,
        )
        .join(Patient, Patient.id == Reminder.patient_id)
        .outerjoin(Conversation, Conversation.patient_id == Reminder.patient_id)
        .where(Reminder.next_due <= now, Patient.channel == channel)
        .order_by(Reminder.next_due)
        .limit(limit)
        .with_for_update(of=Reminder.__table__, skip_locked=True)
    ).all()
    sends: list[dict[str, object]] = []
    external: dict[int, str] = {}
    detail: dict[int, bool] = {}
    advances: list[dict[str, object]] = []
    due_rows: list[tuple[Any, datetime, bool] | None] = []
    for row in rows:
        due = as_utc(row.next_due)
        schedule = plan(row.timezone, row.checkin_time, row.skip_on, row.resume_on)
        if schedule is None or not row.checkins or not row.active:
            advances.append(_advance_params(row.patient_id, row.next_due, None, row.unanswered))
            due_rows.append(None)
            continue
        unanswered = row.unanswered
        if answered(_utc(row.last_sent_at), _utc(row.updated_at)):
            unanswered = 0
        gentle = unanswered >= GENTLE_AFTER
        later = local_date(due, schedule.zone) + timedelta(days=GENTLE_EVERY_DAYS)
        following = schedule.next_after(max(now, due), later if gentle else None)
        advances.append(_advance_params(row.patient_id, row.next_due, following, unanswered))
        due_rows.append((row, due, gentle))
    for moved, due_row in zip(_advance_all(session, advances), due_rows, strict=True):
        if due_row is None or not moved:
            continue  # unscheduled, or another dispatcher claimed it first
        row, due, gentle = due_row
        status = _status(row, now, due, grace)
        sends.append(
            {
                "patient_id": row.patient_id,
                "due_at": due,
                "gentle": gentle,
                "status": status.value,
                "attempts": 1 if status is SendStatus.PENDING else 0,
                "lease_until": now + lease,
            }
        )
        external[row.patient_id] = row.external_id
        detail[row.patient_id] = row.detailed
    if not sends:
        return [], len(rows)
    inserted = session.execute(
        insert(ReminderSend).returning(
            ReminderSend.id, ReminderSend.patient_id, sort_by_parameter_order=True
        ),
        sends,
    ).all()
    claims = []
    for (send_id, patient_id), send in zip(inserted, sends, strict=True):
        if send["status"] == SendStatus.PENDING:
            claims.append(
                Claim(
                    send_id,
                    patient_id,
                    external[patient_id],
                    cast(datetime, send["due_at"]),
                    bool(send["gentle"]),
                    detail[patient_id],
                )
            )
    not_sent = len(sends) - len(claims)
    if not_sent:
        log.info("reminders not sent (late or patient busy) count=%d", not_sent)
    return claims, len(rows)


def _status(row: Any, now: datetime, due: datetime, grace: timedelta) -> SendStatus:
    """What the policy says of this due row, from the conversation as the typed value."""
    conversation = ConversationState.from_json(row.state)
    return send_status(
        now=now,
        due=due,
        grace=grace,
        hold=conversation.hold,
        in_exercise=bool(conversation.frames),
        quiet_for=now - as_utc(row.updated_at) if row.updated_at is not None else None,
    )


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


# Statements run once per reminder are built once: building costs more than running them.
_ADVANCE = (
    update(Reminder)
    .where(Reminder.patient_id == bindparam("pid"), Reminder.next_due == bindparam("seen"))
    .values(next_due=bindparam("following"), unanswered=bindparam("count"))
)
_SEND_DONE = (
    update(ReminderSend)
    .where(ReminderSend.id == bindparam("sid"))
    .values(status=SendStatus.SENT.value, sent_at=bindparam("at"))
)
_REMINDER_SENT = (
    update(Reminder)
    .where(Reminder.patient_id == bindparam("pid"))
    .values(last_sent_at=bindparam("at"), unanswered=Reminder.unanswered + 1)
)


def _advance_params(
    patient_id: int, seen: datetime, following: datetime | None, unanswered: int
) -> dict[str, object]:
    return {"pid": patient_id, "seen": seen, "following": following, "count": unanswered}


def _advance_all(session: Connection, advances: list[dict[str, object]]) -> list[bool]:
    """Move each schedule on only if nobody moved it since we read it (``seen``); for
    each, whether we did. One statement for the batch: on PostgreSQL the rows are ours
    (locked FOR UPDATE by the claim), on SQLite the rows' total says whether another
    dispatcher moved one; only then, one at a time, each with its own answer."""
    if not advances:
        return []
    if session.dialect.name == "postgresql":
        session.execute(_ADVANCE, advances)
        return [True] * len(advances)
    batch = session.begin_nested()
    if session.execute(_ADVANCE, advances).rowcount == len(advances):
        batch.commit()
        return [True] * len(advances)
    batch.rollback()
    return [bool(session.execute(_ADVANCE, params).rowcount) for params in advances]


def claim_stale(
    session: Connection,
    *,
    channel: str,
    now: datetime,
    grace: timedelta,
    lease: timedelta,
    limit: int,
) -> list[Claim]:
    """Claim pending sends whose lease ran out (their process died, or sending failed).

    Sends left ``sending`` by a dead process become ``unknown``: they are not sent again.
    """
    session.execute(
        update(ReminderSend)
        .where(ReminderSend.status == SendStatus.SENDING.value, ReminderSend.lease_until <= now)
        .values(status=SendStatus.UNKNOWN.value)
    )
    rows = session.execute(
        select(
            ReminderSend.id,
            ReminderSend.patient_id,
            ReminderSend.due_at,
            ReminderSend.gentle,
            ReminderSend.attempts,
            ReminderSend.lease_until,
            Patient.external_id,
            Reminder.detailed,
        )
        .join(Patient, Patient.id == ReminderSend.patient_id)
        .outerjoin(Reminder, Reminder.patient_id == ReminderSend.patient_id)
        .where(
            ReminderSend.status == SendStatus.PENDING.value,
            ReminderSend.lease_until <= now,
            Patient.channel == channel,
        )
        .order_by(ReminderSend.id)
        .limit(limit)
        .with_for_update(of=ReminderSend.__table__, skip_locked=True)
    ).all()
    claims = []
    for row in rows:
        due = as_utc(row.due_at)
        if now - due > grace or row.attempts >= MAX_ATTEMPTS:
            status = SendStatus.EXPIRED if now - due > grace else SendStatus.FAILED
            session.execute(
                update(ReminderSend).where(ReminderSend.id == row.id).values(status=status.value)
            )
            continue
        result = session.execute(
            update(ReminderSend)
            .where(ReminderSend.id == row.id, ReminderSend.lease_until == row.lease_until)
            .values(lease_until=now + lease, attempts=row.attempts + 1)
        )
        if result.rowcount:
            claims.append(
                Claim(
                    row.id,
                    row.patient_id,
                    row.external_id,
                    due,
                    row.gentle,
                    bool(row.detailed),
                    row.attempts + 1,
                )
            )
    return claims


# -- outcomes --------------------------------------------------------------------------------

_BEGIN = (
    update(ReminderSend)
    .where(
        ReminderSend.id == bindparam("sid"),
        ReminderSend.status == SendStatus.PENDING.value,
        ReminderSend.attempts == bindparam("attempt"),
    )
    .values(status=SendStatus.SENDING.value)
)
_BEGIN_ALL = (
    update(ReminderSend)
    .where(
        tuple_(ReminderSend.id, ReminderSend.attempts).in_(bindparam("pairs", expanding=True)),
        ReminderSend.status == SendStatus.PENDING.value,
    )
    .values(status=SendStatus.SENDING.value)
    .returning(ReminderSend.id)
)
_RELEASE = (
    update(ReminderSend)
    .where(ReminderSend.id == bindparam("sid"), ReminderSend.status == SendStatus.SENDING.value)
    .values(status=SendStatus.PENDING.value)
)


def begin_sending(session: Connection, *, claim: Claim) -> bool:
    """Mark the send as going out now; False if another process re-claimed it meanwhile."""
    result = session.execute(_BEGIN, {"sid": claim.send_id, "attempt": claim.attempt})
    return bool(result.rowcount)


def begin_sending_all(session: Connection, *, claims: list[Claim]) -> list[bool]:
    """``begin_sending`` for a group in one statement: for each claim, whether it is ours."""
    if not claims:
        return []
    pairs = [(c.send_id, c.attempt) for c in claims]
    ours = set(session.execute(_BEGIN_ALL, {"pairs": pairs}).scalars())
    return [c.send_id in ours for c in claims]


def release(session: Connection, *, claim: Claim) -> None:
    """Telegram refused or could not be reached: the send is pending again (retried later)."""
    session.execute(_RELEASE, {"sid": claim.send_id})


def mark_sent(session: Connection, *, sent: list[tuple[Claim, datetime]]) -> None:
    """Telegram accepted these reminders (at these instants): each counts as unanswered
    until the patient acts."""
    if sent:
        session.execute(_SEND_DONE, [{"sid": c.send_id, "at": at} for c, at in sent])
        session.execute(_REMINDER_SENT, [{"pid": c.patient_id, "at": at} for c, at in sent])


def mark_blocked(session: Connection, *, claim: Claim) -> None:
    """The patient blocked the bot: no more reminders until they turn them on again."""
    session.execute(
        update(ReminderSend)
        .where(ReminderSend.id == claim.send_id)
        .values(status=SendStatus.BLOCKED.value)
    )
    session.execute(
        update(Reminder).where(Reminder.patient_id == claim.patient_id).values(next_due=None)
    )
    session.execute(
        update(Patient).where(Patient.id == claim.patient_id).values(active=False, checkins=False)
    )
