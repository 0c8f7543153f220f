"""Raising alerts for the practice's queue: the one place an alert is born.

``raise_alert(connection, kind=..., patient_id=...)`` is the seam every signal goes
through: the coach's own (crisis answers, a "yes" to the direct question, hard days adding
up, no check-in for N days) and the measures' (``phq9_item9``, ``measure_rise``,
``screen_positive``: call it from where an administration is stored). It raises nothing for a patient who does not
share, or who does not share the part the alert comes from, and adds nothing while an
alert of the same kind is still new. Plain values in and out, inside the caller's
transaction; what an alert may show is its kind and time (``detail`` is a category or a
measure's code, never the patient's words).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.db import alerts as rows
from bot.db import sharing
from bot.db.models import JournalEntry, Share, as_utc
from bot.flow.engine.measures import MEASURE_RECORD
from bot.safety import risk
from bot.shared.messages import SafetyEvent, Turn

__all__ = [
    "ALERT_KINDS",
    "AlertKind",
    "alerting_events",
    "alerts_for_turn",
    "may_raise_urgent",
    "raise_alert",
    "raise_quiet_alerts",
    "urgent_alert_raised",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertKind:
    """``needs``: the part of sharing the alert comes from (``crisis`` or ``scores``).
    ``urgent``: it wants someone today, so it earns an on-call notice (with the portal)."""

    name: str
    needs: Literal["crisis", "scores"]
    urgent: bool = False


ALERT_KINDS = {
    kind.name: kind
    for kind in (
        AlertKind("crisis", "crisis", urgent=True),  # the crisis answer (help lines) was given
        # "yes" (or no clear "no") to the direct question:
        AlertKind("direct_yes", "crisis", urgent=True),
        AlertKind("building_risk", "scores"),  # hard days adding up (bot.safety.risk)
        AlertKind("no_checkin", "scores"),  # no check-in for N days (PORTAL_NO_CHECKIN_DAYS)
        # The measures' alerts (raised where an administration is stored):
        # PHQ-9 item 9 above 0: a same-day safety check
        AlertKind("phq9_item9", "scores", urgent=True),
        AlertKind("measure_rise", "scores"),  # a measure rose by its meaningful change
        # A screener newly positive (PC-PTSD-5 at 4 or more): refer for assessment
        AlertKind("screen_positive", "scores"),
    )
}


def raise_alert(
    connection: Connection,
    *,
    kind: str,
    patient_id: int,
    detail: str | None = None,
    once_since: datetime | None = None,
) -> int | None:
    """Queue an alert of ``kind`` for the patient; its id, or None when none was raised
    (not sharing that part, or one of the same kind still new). ``once_since``: raise none
    if one of this kind was raised after that instant, whatever became of it."""
    alert_kind = ALERT_KINDS.get(kind)
    if alert_kind is None:
        raise ValueError(f"unknown alert kind {kind!r}; add it to ALERT_KINDS")
    share = sharing.active_share(connection, patient_id)
    if share is None or not getattr(share, alert_kind.needs):
        return None
    if rows.has_unanswered_alert(connection, share_id=share.id, kind=kind, since=once_since):
        return None
    alert_id = rows.add_alert(connection, share_id=share.id, kind=kind, detail=detail)
    rows.add_audit(
        connection, actor="system", action="alert.raised", share_id=share.id, detail=kind
    )
    log.info("alert raised alert=%d", alert_id)  # its kind beside its patient is health data
    return alert_id


def alerts_for_turn(
    connection: Connection, patient_id: int, turn: Turn, not_alerting: tuple[str, ...] = ()
) -> list[int]:
    """The alerts one stored turn earns: each crisis answer it gave and a building-risk
    note. A direct question alone earns none (only its answer does): neither an event that
    asked nor one in ``not_alerting``, the categories that always ask first."""
    raised: list[int] = []
    for event in alerting_events(turn.safety_events, not_alerting):
        kind = "direct_yes" if event.rule_id.endswith((".yes", ".unclear")) else "crisis"
        found = raise_alert(connection, kind=kind, patient_id=patient_id, detail=event.category)
        if found is not None:
            raised.append(found)
    if any(r.kind == risk.NOTE_KIND for r in turn.records):
        found = raise_alert(connection, kind="building_risk", patient_id=patient_id)
        if found is not None:
            raised.append(found)
    return raised


def alerting_events(
    events: Sequence[SafetyEvent], not_alerting: tuple[str, ...] = ()
) -> list[SafetyEvent]:
    """The events that earn an alert: crisis answers, and the answers to a direct question
    (never the question itself, nor a category in ``not_alerting``, which always asks first)."""
    return [e for e in events if not e.asked and e.category not in not_alerting]


def may_raise_urgent(turn: Turn) -> bool:
    """Could storing this turn raise an urgent alert? Only a safety event or a stored
    questionnaire (PHQ-9 item 9) can; any other step needs no look at the queue."""
    return bool(turn.safety_events) or any(r.kind == MEASURE_RECORD for r in turn.records)


def urgent_alert_raised(connection: Connection, patient_id: int, after_id: int) -> bool:
    """Was an urgent alert raised for the patient after alert ``after_id`` (read with
    ``bot.db.alerts.last_alert_id`` before the event)? With the portal, that earns an
    on-call notice."""
    kinds = [k.name for k in ALERT_KINDS.values() if k.urgent]
    return rows.raised_after(connection, patient_id=patient_id, after_id=after_id, kinds=kinds)


def raise_quiet_alerts(connection: Connection, *, now: datetime, days: int) -> int:
    """A ``no_checkin`` alert for each sharing patient whose last check-in (or, with none,
    the start of sharing) is more than ``days`` ago. Returns how many were raised."""
    last = (
        select(JournalEntry.patient_id, func.max(JournalEntry.created_at).label("at"))
        .where(JournalEntry.kind == risk.CHECK_IN_KIND)
        .group_by(JournalEntry.patient_id)
        .subquery()
    )
    query = (
        select(Share.patient_id, Share.started_at, last.c.at)
        .outerjoin(last, last.c.patient_id == Share.patient_id)
        .where(Share.withdrawn_at.is_(None), Share.scores.is_(True))
    )
    cutoff = now - timedelta(days=days)
    raised = 0
    for patient_id, started, checked in connection.execute(query).all():
        since = as_utc(checked) if checked is not None else as_utc(started)
        if since < cutoff:
            found = raise_alert(
                connection,
                kind="no_checkin",
                patient_id=int(patient_id),
                detail=str(days),
                once_since=since,
            )
            raised += found is not None
    return raised
