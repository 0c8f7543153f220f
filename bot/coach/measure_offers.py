"""Questionnaires on the practice's schedule: offered at the end of a check-in and on the
daily reminder when due.

Each questionnaire's ``offer:`` (in its flow file) says how often: every N days, or once.
At the end of a check-in, the first one due (never given or offered, or last given or
skipped N days ago) is offered with two buttons, one at a time and never after a check-in
that needed the direct safety question, nor within ``QUIET_AFTER_SAFETY`` of a crisis
answer (no crisis hold), nor within ``REOFFER_AFTER`` of an offer left unanswered (no
nagging: it is not repeated after every check-in). "Start now" opens it
(stored as delivered ``checkin``); "Not now" is stored as a skipped administration, which
counts as the offer, so the next one waits the full interval.

The reminder machinery offers it too, for a patient who does not do check-ins: while one is
due and the patient has done no check-in for ``REMINDER_AFTER`` (nor joined within it: the
first check-ins offer it), the daily reminder (claimed once, neutral on the lock screen, not
sent during a crisis hold) carries one more button that opens it (stored as delivered
``reminder``); the same quiet after a crisis answer applies. It is a button on a message
that goes out anyway, never a message of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from bot.db import measures, store
from bot.db.models import utcnow
from bot.flow.engine import Engine
from bot.flow.engine.measures import DELIVERED, MEASURE_RECORD
from bot.flow.library import CompiledFlow
from bot.shared import tokens
from bot.shared.content import render
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Button, Inbound, JournalRecord, OutboundMessage, Turn

__all__ = ["due_on_reminders", "offer_due_measure", "offer_turn", "reminder_button"]

_START = "measure_start:"
_SKIP = "measure_skip:"
_REMINDED = "measure_reminded:"
#: No questionnaire is offered this long after a crisis answer or a direct question.
QUIET_AFTER_SAFETY = timedelta(hours=12)
#: An offer left unanswered (neither a questionnaire given nor Not now) is not made again
#: for this long: not after every check-in.
REOFFER_AFTER = timedelta(days=3)
#: A reminder carries a questionnaire that is due only after this long without a check-in.
REMINDER_AFTER = timedelta(days=3)
#: How a questionnaire opened from a check-in's offer, or a reminder's, is stored as delivered.
FROM_CHECKIN = "checkin"
FROM_REMINDER = "reminder"


def _scheduled(engine: Engine) -> list[CompiledFlow]:
    return [
        c
        for c in engine.library.flows.values()
        if c.flow.questionnaire is not None and c.flow.questionnaire.offer is not None
    ]


def _due(compiled: CompiledFlow, last: datetime | None, now: datetime) -> bool:
    questionnaire = compiled.flow.questionnaire
    assert questionnaire is not None and questionnaire.offer is not None
    if last is None:
        return True
    every = questionnaire.offer.every_days
    return every is not None and now - last >= timedelta(days=every) - timedelta(hours=6)


def offer_due_measure(
    connection: Connection, patient_id: int, turn: Turn, engine: Engine, now: datetime | None = None
) -> None:
    """After a check-in (no safety question in it, nor in the hours before), offer the first
    questionnaire due."""
    if turn.safety_events or not any(r.kind == "check_in" for r in turn.records):
        return
    now = now or utcnow()
    if measures.safety_event_since(
        connection, patient_id=patient_id, since=now - QUIET_AFTER_SAFETY
    ):
        return
    if _unanswered_offer(connection, patient_id, now):
        return
    for compiled in _scheduled(engine):
        questionnaire = compiled.flow.questionnaire
        assert questionnaire is not None
        last = measures.latest_administration(
            connection, patient_id=patient_id, measure=questionnaire.measure, scored_only=False
        )
        if not _due(compiled, last.taken_at if last else None, now):
            continue
        content = engine.library.content
        start = tokens.encode(tokens.SystemAction(_START + compiled.id))
        skip = tokens.encode(tokens.SystemAction(_SKIP + compiled.id))
        buttons = (
            (Button(content.get("scores.offer_start"), token=start),),
            (Button(content.get("scores.offer_skip"), token=skip),),
        )
        text = render(content.get("scores.offer"), {"measure": questionnaire.name})
        turn.messages.append(OutboundMessage(text, buttons=buttons))
        measures.mark_offered(connection, patient_id=patient_id, at=now)
        return


def _unanswered_offer(connection: Connection, patient_id: int, now: datetime) -> bool:
    """An offer made within ``REOFFER_AFTER`` that the patient has not answered: no
    questionnaire given or declined ("Not now") since. One answered lets the next check-in
    offer the next one due."""
    offered = measures.last_offered_at(connection, patient_id=patient_id)
    if offered is None or now - offered >= REOFFER_AFTER:
        return False
    return not measures.administrations(connection, patient_id=patient_id, since=offered)


def due_on_reminders(
    connection: Connection, patient_ids: Sequence[int], engine: Engine, now: datetime
) -> dict[int, CompiledFlow]:
    """For a claimed batch of reminders: each patient's first questionnaire due (none
    within ``QUIET_AFTER_SAFETY`` of a crisis answer, nor for a patient who joined or did a
    check-in within ``REMINDER_AFTER``). Grouped queries for the batch."""
    scheduled = _scheduled(engine)
    if not scheduled or not patient_ids:
        return {}
    since = now - REMINDER_AFTER
    checked_in = store.latest_at_by_kind(
        connection, patient_ids=patient_ids, kinds=("check_in",), since=since
    )
    quiet = measures.with_safety_events_since(
        connection, patient_ids=patient_ids, since=now - QUIET_AFTER_SAFETY
    )
    quiet |= {patient_id for patient_id, _ in checked_in}
    quiet |= store.created_since(connection, patient_ids=patient_ids, since=since)
    names = {c.id: c.flow.questionnaire.measure for c in scheduled if c.flow.questionnaire}
    last = measures.latest_taken_by_measure(
        connection, patient_ids=patient_ids, measures=sorted(set(names.values()))
    )
    due: dict[int, CompiledFlow] = {}
    for patient_id in patient_ids:
        if patient_id in quiet:
            continue
        for compiled in scheduled:
            if _due(compiled, last.get((patient_id, names[compiled.id])), now):
                due[patient_id] = compiled
                break
    return due


def reminder_button(compiled: CompiledFlow, engine: Engine) -> Button:
    """The button a reminder carries for a questionnaire that is due."""
    questionnaire = compiled.flow.questionnaire
    assert questionnaire is not None
    text = render(
        engine.library.content.get("reminders.measure_button"), {"measure": questionnaire.name}
    )
    return Button(text, token=tokens.encode(tokens.SystemAction(_REMINDED + compiled.id)))


def offer_turn(
    engine: Engine, state: ConversationState, patient: PatientView, event: Inbound
) -> Turn | None:
    """The answer to an offer's button; None when ``event`` is not one."""
    if event.kind != "button" or event.button is None or state.hold is not None:
        return None  # during a crisis hold or the direct question, the engine answers
    token = tokens.parse(event.button)
    if not isinstance(token, tokens.SystemAction):
        return None
    action = token.action
    flow_id = action.removeprefix(_START).removeprefix(_SKIP).removeprefix(_REMINDED)
    compiled = engine.library.flows.get(flow_id)
    if not action.startswith((_START, _SKIP, _REMINDED)) or compiled is None:
        return None
    questionnaire = compiled.flow.questionnaire
    if questionnaire is None:
        return None
    if action.startswith((_START, _REMINDED)):
        delivered = FROM_REMINDER if action.startswith(_REMINDED) else FROM_CHECKIN
        turn = engine.start_at(
            state, patient, compiled.id, compiled.flow.first_step, {DELIVERED: delivered}
        )
        turn.pressed = "answered"
        return turn
    skipped = {
        "measure": questionnaire.measure,
        "version": questionnaire.version,
        "skipped": True,
        "delivered": FROM_CHECKIN,
    }
    return Turn(
        messages=[OutboundMessage(engine.library.content.get("scores.offer_skipped"))],
        records=[JournalRecord(MEASURE_RECORD, compiled.id, compiled.version, skipped)],
        pressed="answered",
    )
