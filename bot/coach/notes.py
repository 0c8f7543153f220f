"""The safety checks the service runs inside an event's transaction, beside the engine.

They read stored rows (so they live outside ``bot.safety``, which imports no sqlalchemy)
and return plain values: whether the on-call chat is due a notice for this detection (or,
with the portal, for the urgent alert it raised), and
whether the check-in just stored completes a run of hard days worth a gentle word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Connection

from bot.coach.alerts import alerting_events, urgent_alert_raised
from bot.db import alerts as alert_rows
from bot.db import sharing, store
from bot.db.models import as_utc, utcnow
from bot.safety import risk
from bot.safety.oncall import OncallNotice, notice_due
from bot.shared.content import Content, render
from bot.shared.messages import Button, JournalRecord, OutboundMessage, SafetyEvent, Turn
from bot.shared.zones import zone_or_default

__all__ = [
    "PortalMark",
    "add_building_risk_note",
    "oncall_notice_for",
    "portal_mark",
    "portal_notice_for",
]

log = logging.getLogger(__name__)


def oncall_notice_for(
    connection: Connection,
    patient: store.PatientRecord,
    events: list[SafetyEvent],
    quiet: timedelta | None,
    not_alerting: tuple[str, ...] = (),
) -> OncallNotice | None:
    """The notice this detection earns, if any. Call it before the new events are stored.

    ``not_alerting``: categories that never reach the on-call chat (a question asked
    first); they, and every detection that got the direct question (``event.asked``),
    neither earn a notice nor start a quiet window: only the answer does."""
    events = [e for e in events if e.category not in not_alerting and not e.asked]
    if not events or quiet is None:
        return None
    previous = store.latest_safety_event_at(
        connection, patient_id=patient.id, excluding=not_alerting
    )
    due = notice_due(
        configured=True,
        consented=patient.crisis_alerts,
        previous_event_at=previous,
        now=utcnow(),
        quiet=quiet,
    )
    if not due:
        reason = "no_consent" if not patient.crisis_alerts else "quiet_window"
        # No patient beside the notice: who needed crisis help is health data.
        log.info("oncall notice not due reason=%s", reason)
        return None
    log.info("oncall notice due")
    return OncallNotice(patient.id, patient.display_name, events[0].category)


@dataclass(frozen=True)
class PortalMark:
    """What the portal's notice rule reads before an event is stored: the newest alert
    then, and the patient's previous safety event (the quiet window's start)."""

    last_alert_id: int
    previous_event_at: datetime | None


def portal_mark(
    connection: Connection, patient_id: int, not_alerting: tuple[str, ...] = ()
) -> PortalMark:
    """Read before the event's alerts and safety events are stored."""
    return PortalMark(
        alert_rows.last_alert_id(connection, patient_id=patient_id),
        store.latest_safety_event_at(connection, patient_id=patient_id, excluding=not_alerting),
    )


def portal_notice_for(
    connection: Connection,
    patient_id: int,
    mark: PortalMark,
    events: list[SafetyEvent],
    quiet: timedelta,
    not_alerting: tuple[str, ...] = (),
) -> OncallNotice | None:
    """With the portal, the notice an event earns, read after it was stored.

    The queue is then the place of record, and the notice only says an alert is waiting
    (no name, no kind). It is due when the event raised an urgent alert, or when it is a
    crisis answer for a patient who shares crisis events and the quiet window since their
    last one has passed: a repeat while the first alert is still new raises no second
    alert, but a new episode still reaches the on-call chat (the first notice may not
    have got through). Sharing crisis events is the patient's consent; a patient who does
    not share raises no alert and earns no notice (docs/portal.md)."""
    if not urgent_alert_raised(connection, patient_id, mark.last_alert_id):
        answered = alerting_events(events, not_alerting)
        share = sharing.active_share(connection, patient_id) if answered else None
        if share is None or not share.crisis:
            return None
        previous = mark.previous_event_at
        if previous is not None and utcnow() - as_utc(previous) < quiet:
            return None
    log.info("oncall notice due for the portal's queue")
    return OncallNotice(patient_id, None, "alert")


def add_building_risk_note(
    connection: Connection,
    patient: store.PatientRecord,
    turn: Turn,
    *,
    content: Content,
    booking_url: str | None,
    default_timezone: str,
) -> None:
    """After a check-in is stored: say gently, once a local day, that hard days are adding up.

    Call it after the turn's records are stored, so today's check-in is counted. The note
    goes before the turn's last message (the check-in's closing question or menu button),
    with the booking button unless that message already carries it; the local date it
    was said on is kept as a journal entry of its own kind, so it is said once a day.
    """
    checkin = next((r for r in turn.records if r.kind == risk.CHECK_IN_KIND), None)
    if checkin is None:
        return
    zone = zone_or_default(patient.timezone, default_timezone)
    now = utcnow()
    rows = store.journal_since(
        connection,
        patient_id=patient.id,
        kinds=(risk.CHECK_IN_KIND, risk.NOTE_KIND),
        since=now - timedelta(days=risk.WINDOW_DAYS + 1),
    )
    checkins = [(r.created_at, r.data) for r in rows if r.kind == risk.CHECK_IN_KIND]
    said = [_said_on(r.data) for r in rows if r.kind == risk.NOTE_KIND]
    last_said = max((d for d in said if d is not None), default=None)
    today = risk.risk_building(checkins, now=now, zone=zone, last_said=last_said)
    if today is None:
        return
    note = JournalRecord(
        risk.NOTE_KIND, checkin.flow_id, checkin.flow_version, {"date": today.isoformat()}
    )
    store.add_journal_records(connection, patient_id=patient.id, records=[note])
    turn.records.append(note)
    text = render(content.get(risk.RISK_KEY), patient.view().variables())
    last = turn.messages[-1] if turn.messages else None
    has_booking = last is not None and any(
        b.url == booking_url for row in last.buttons for b in row
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if booking_url and not has_booking:
        buttons = ((Button(content.get("system.book_button"), url=booking_url),),)
    at = len(turn.messages) - 1 if turn.messages else 0
    turn.messages.insert(at, OutboundMessage(text, buttons=buttons))
    log.info("building risk noted patient=%d", patient.id)


def _said_on(data: dict[str, object]) -> date | None:
    try:
        return date.fromisoformat(str(data.get("date")))
    except ValueError:
        return None
