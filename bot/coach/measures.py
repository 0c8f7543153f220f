"""Storing questionnaire administrations, and noticing when a score has risen.

The engine ends a questionnaire with a ``measure`` record; here it becomes one row of
``measure_administrations`` (not a journal entry), in the event's transaction. When the
score is worse than the patient's previous one of the same measure (a higher band, or a
rise of the questionnaire's ``meaningful_rise`` points or ``meaningful_rise_percent``),
the reply offers booking, once, with the before and after in plain words. A screener that
turns positive (PC-PTSD-5 at its cut-off) raises an alert for the care team, once: the
screen is a reason to refer for assessment, which a repeat of the same result is not.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from bot import metrics
from bot.coach.alerts import raise_alert
from bot.coach.measure_offers import offer_due_measure
from bot.db import measures
from bot.db.measures import MeasureRow
from bot.db.models import utcnow
from bot.flow.engine import Engine
from bot.flow.engine.measures import MEASURE_RECORD, format_total
from bot.flow.questionnaire import Questionnaire
from bot.shared.content import render
from bot.shared.messages import Button, JournalRecord, OutboundMessage, Turn

__all__ = ["has_risen", "questionnaires_of", "row_of", "store_administrations"]


def questionnaires_of(engine: Engine) -> dict[str, Questionnaire]:
    """Every loaded questionnaire by its measure name."""
    found = {}
    for compiled in engine.library.flows.values():
        if compiled.flow.questionnaire is not None:
            found[compiled.flow.questionnaire.measure] = compiled.flow.questionnaire
    return found


def row_of(record: JournalRecord) -> MeasureRow:
    data = record.data
    return MeasureRow(
        measure=str(data["measure"]),
        version=str(data["version"]),
        taken_at=utcnow(),
        total=data.get("total"),
        band=data.get("band"),
        positive=data.get("positive"),
        answers={**(data.get("answers") or {}), **_gate(data)},
        item_scores=dict(data.get("item_scores") or {}),
        flags=tuple(data.get("flags") or ()),
        missing=tuple(data.get("missing") or ()),
        skipped=bool(data.get("skipped")),
        delivered=str(data.get("delivered") or "asked"),
    )


def _gate(data: dict[str, object]) -> dict[str, object]:
    return {"gate": data["gate"]} if data.get("gate") is not None else {}


def has_risen(questionnaire: Questionnaire, before: MeasureRow, after: MeasureRow) -> bool:
    """Worse than last time: a higher band, or a rise the questionnaire calls meaningful
    (what the patient is told about)."""
    return _higher_band(questionnaire, before, after) or rose_meaningfully(
        questionnaire, before, after
    )


def rose_meaningfully(questionnaire: Questionnaire, before: MeasureRow, after: MeasureRow) -> bool:
    """A rise of at least the questionnaire's meaningful change (the practice's alert).

    A band edge alone (a PHQ-9 going from 4 to 5) is told to the patient but raises no
    alert: the queue is for changes a clinician would act on. A questionnaire that names
    no meaningful change falls back to a higher band."""
    if before.total is None or after.total is None or after.total <= before.total:
        return False
    rise = after.total - before.total
    if questionnaire.meaningful_rise is not None:
        return rise >= questionnaire.meaningful_rise
    percent = questionnaire.meaningful_rise_percent
    if percent is not None and before.total > 0:
        return rise / before.total * 100 >= percent
    # From 0 a percentage means nothing (PEG 0 to 4): a higher band then, as with no
    # meaningful change named.
    return _higher_band(questionnaire, before, after)


def _higher_band(questionnaire: Questionnaire, before: MeasureRow, after: MeasureRow) -> bool:
    if before.total is None or after.total is None or after.total <= before.total:
        return False
    labels = [band.label for band in questionnaire.bands]
    return (
        before.band in labels
        and after.band in labels
        and labels.index(after.band) > labels.index(before.band)
    )


def store_administrations(
    connection: Connection, patient_id: int, turn: Turn, engine: Engine
) -> list[JournalRecord]:
    """Store the turn's questionnaire results (and, after a check-in, offer one that is due);
    return the records left for the journal."""
    kept: list[JournalRecord] = []
    known = questionnaires_of(engine)
    for record in turn.records:
        if record.kind != MEASURE_RECORD:
            kept.append(record)
            continue
        row = row_of(record)
        before = measures.latest_administration(
            connection, patient_id=patient_id, measure=row.measure
        )
        measures.add_administration(connection, patient_id=patient_id, row=row)
        metrics.QUESTIONNAIRES.labels(outcome="skipped" if row.skipped else "completed").inc()
        if row.measure == "phq9" and row.flags:  # item 9 above 0: a same-day safety check
            raise_alert(connection, kind="phq9_item9", patient_id=patient_id, detail="phq9")
        if row.positive and not (before is not None and before.positive):
            raise_alert(
                connection, kind="screen_positive", patient_id=patient_id, detail=row.measure
            )
        questionnaire = known.get(row.measure)
        if questionnaire is None or before is None or not has_risen(questionnaire, before, row):
            continue
        # A screener's one band edge is its cut-off: crossing it is screen_positive above.
        screener = questionnaire.scoring.method == "screener"
        if rose_meaningfully(questionnaire, before, row) and not screener:
            raise_alert(connection, kind="measure_rise", patient_id=patient_id, detail=row.measure)
        assert before.total is not None and row.total is not None
        values = {
            "measure": questionnaire.name,
            "before": format_total(questionnaire, before.total),
            "total": format_total(questionnaire, row.total),
        }
        buttons: tuple[tuple[Button, ...], ...] = ()
        if engine.booking_url:
            label = engine.library.content.get("system.book_button")
            buttons = ((Button(label, url=engine.booking_url),),)
        text = render(engine.library.content.get("scores.rising"), values)
        turn.messages.append(OutboundMessage(text, buttons=buttons))
    offer_due_measure(connection, patient_id, turn, engine)
    return kept
