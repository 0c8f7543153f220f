"""What a patient can ask of their own data: a copy of all of it, or its deletion.

Also the one rule of the safety plan: a section the patient skips while editing keeps what
they wrote before, so editing one part never erases the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from bot.coach.export_files import export_files
from bot.coach.reply import Reply
from bot.db import measures, store
from bot.db.measures import MeasureRow
from bot.db.models import as_utc
from bot.db.sharing import active_share
from bot.flow.questionnaire import Questionnaire
from bot.shared import tokens
from bot.shared.content import Content, placeholders, render
from bot.shared.messages import Button, JournalRecord, OutboundMessage

DELETE_TOKEN = tokens.encode(tokens.SystemButton.DELETE_EVERYTHING)
KEEP_TOKEN = tokens.encode(tokens.SystemButton.MENU)
SAFETY_PLAN = "safety_plan"
#: The safety-plan flow's own summary text, reused so /sos shows the plan as the patient saw it.
PLAN_SUMMARY_KEY = "safety_plan.summary"


def export_document(connection: Connection, patient: store.PatientRecord) -> dict[str, Any]:
    """The profile, every journal entry and every questionnaire, as one JSON document."""
    entries = store.journal(connection, patient_id=patient.id)
    share = active_share(connection, patient.id)
    return {
        "profile": {
            "name": patient.display_name,
            "timezone": patient.timezone,
            "checkin_time": patient.checkin_time,
            "checkins": patient.checkins,
            "consent": patient.consent,
            "crisis_alerts": patient.crisis_alerts,
        },
        "sharing_with_the_practice": None
        if share is None
        else {
            "since": share.started_at.isoformat(),
            "ratings_and_scores": share.scores,
            "crisis_alerts": share.crisis,
            "journal": share.journal,
        },
        "journal": [
            {
                "kind": e.kind,
                "flow": e.flow_id,
                "flow_version": e.flow_version,
                "created_at": as_utc(e.created_at).isoformat(),
                "data": e.data,
            }
            for e in entries
        ],
        "measures": [
            administration_json(row)
            for row in measures.administrations(connection, patient_id=patient.id)
        ],
    }


def administration_json(row: MeasureRow) -> dict[str, object]:
    """One questionnaire administration as the export shows it."""
    return {
        "measure": row.measure,
        "version": row.version,
        "taken_at": row.taken_at.isoformat(),
        "delivered": row.delivered,
        "skipped": row.skipped,
        "answers": row.answers,
        "item_scores": row.item_scores,
        "total": row.total,
        "band": row.band,
        "positive": row.positive,
        "flags": list(row.flags),
        "missing": list(row.missing),
    }


def keep_earlier_plan(
    connection: Connection, patient_id: int, record: JournalRecord
) -> JournalRecord:
    """Fill the sections skipped in a new safety plan from the previous plan."""
    if record.kind != SAFETY_PLAN or all(v is not None for v in record.data.values()):
        return record
    earlier = store.latest_journal(connection, patient_id=patient_id, kind=SAFETY_PLAN)
    if earlier is None:
        return record
    previous = earlier.data
    data = {k: (v if v is not None else previous.get(k)) for k, v in record.data.items()}
    return replace(record, data=data)


def latest_entry(connection: Connection, patient_id: int, kind: str) -> dict[str, Any] | None:
    """The fields of the patient's latest journal entry of ``kind`` (a flow's ``recall:``)."""
    entry = store.latest_journal(connection, patient_id=patient_id, kind=kind)
    return dict(entry.data) if entry is not None else None


def safety_plan_html(
    connection: Connection,
    patient_id: int,
    content: Content,
    coach_texts: Mapping[str, str] | None = None,
) -> str | None:
    """The patient's latest safety plan, written out for /sos; None when they have none.

    ``coach_texts`` are the engine's (``Engine.coach_texts``: the practice's phone numbers),
    so the plan reads here exactly as /plan shows it.
    """
    plan = store.latest_journal(connection, patient_id=patient_id, kind=SAFETY_PLAN)
    if plan is None or PLAN_SUMMARY_KEY not in content:
        return None
    data = {k: v for k, v in plan.data.items() if v not in (None, "")}
    if not data:
        return None
    # A part never filled in reads "(skipped)", as in the plan's own summary, never as a
    # heading over a blank line.
    template = content.get(PLAN_SUMMARY_KEY)
    given = {**(coach_texts or {}), **data}
    skipped = content.get("system.skipped_answer")
    empty = {name: skipped for name in placeholders(template) if name not in given}
    return render(template, {**empty, **given})


def privacy_command(
    connection: Connection,
    channel: str,
    external_id: str,
    command: str | None,
    content: Content,
    questionnaires: Mapping[str, Questionnaire] | None = None,
) -> Reply:
    """/export and /delete: everything the patient gave, to keep (as files: JSON, CSV and
    the questionnaires as FHIR) or to erase."""
    text = content.get
    patient = store.find_patient(connection, channel=channel, external_id=external_id)
    if command == "export":
        if patient is None:
            return Reply(messages=[OutboundMessage(text("system.export_empty"))])
        intro = OutboundMessage(text("system.export_intro"))
        document = export_document(connection, patient)
        rows = measures.administrations(connection, patient_id=patient.id)
        files = export_files(document, rows, questionnaires or {}, patient.display_name, content)
        return Reply(messages=[intro, *files], patient_id=patient.id)
    erase = Button(text("system.delete_button"), token=DELETE_TOKEN)
    keep = Button(text("system.delete_keep_button"), token=KEEP_TOKEN)  # opens the menu
    confirm = OutboundMessage(text("system.delete_confirm"), buttons=((erase,), (keep,)))
    return Reply(messages=[confirm])


def delete_everything(
    connection: Connection, channel: str, external_id: str, content: Content
) -> Reply:
    """The patient confirmed /delete: erase them and everything they gave."""
    patient = store.find_patient(connection, channel=channel, external_id=external_id)
    if patient is not None:
        store.delete_patient(connection, patient_id=patient.id)
    return Reply(messages=[OutboundMessage(content.get("system.deleted"))], pressed="answered")
