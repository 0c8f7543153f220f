"""Questionnaires on the practice's schedule: offered at the end of a check-in when due.

Each questionnaire's ``offer:`` (in its flow file) says how often: every N days, or once.
At the end of a check-in, the first one due (never given or offered, or last given or
skipped N days ago) is offered with two buttons, one at a time and never after a check-in
that needed the direct safety question, nor within ``QUIET_AFTER_SAFETY`` of a crisis
answer (no crisis hold, no nagging). "Start now" opens it
(stored as delivered ``checkin``); "Not now" is stored as a skipped administration, which
counts as the offer, so the next one waits the full interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from bot.db import measures
from bot.db.models import utcnow
from bot.flow.engine import Engine
from bot.flow.engine.measures import DELIVERED, MEASURE_RECORD
from bot.flow.library import CompiledFlow
from bot.shared import tokens
from bot.shared.content import render
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Button, Inbound, JournalRecord, OutboundMessage, Turn

__all__ = ["offer_due_measure", "offer_turn"]

_START = "measure_start:"
_SKIP = "measure_skip:"
#: No questionnaire is offered this long after a crisis answer or a direct question.
QUIET_AFTER_SAFETY = timedelta(hours=12)
#: How a questionnaire opened from a check-in's offer is stored as delivered.
FROM_CHECKIN = "checkin"


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
        return


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
    flow_id = action.removeprefix(_START).removeprefix(_SKIP)
    compiled = engine.library.flows.get(flow_id)
    if not action.startswith((_START, _SKIP)) or compiled is None:
        return None
    questionnaire = compiled.flow.questionnaire
    if questionnaire is None:
        return None
    if action.startswith(_START):
        turn = engine.start_at(
            state, patient, compiled.id, compiled.flow.first_step, {DELIVERED: FROM_CHECKIN}
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
