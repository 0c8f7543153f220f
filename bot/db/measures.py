"""Questionnaire administrations: one row each, given or skipped, and reading them back.

Like every function in bot.db: a connection in, plain values out, never a commit. The
rows hold no free text (answers are the fixed answers' values), so no column is encrypted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from bot.db.models import MeasureAdministration, Patient, SafetyEventRow, as_utc, utcnow

__all__ = [
    "MeasureRow",
    "add_administration",
    "administrations",
    "latest_administration",
    "scored_totals",
    "safety_event_since",
]


@dataclass(frozen=True)
class MeasureRow:
    """One administration as plain data (``total`` None: not scored, or skipped)."""

    measure: str
    version: str
    taken_at: datetime
    total: float | None = None
    band: str | None = None
    positive: bool | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    item_scores: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    skipped: bool = False
    delivered: str = "asked"


_COLUMNS = (
    MeasureAdministration.measure,
    MeasureAdministration.version,
    MeasureAdministration.taken_at,
    MeasureAdministration.total,
    MeasureAdministration.band,
    MeasureAdministration.positive,
    MeasureAdministration.answers,
    MeasureAdministration.item_scores,
    MeasureAdministration.flags,
    MeasureAdministration.missing,
    MeasureAdministration.skipped,
    MeasureAdministration.delivered,
)


def add_administration(connection: Connection, *, patient_id: int, row: MeasureRow) -> None:
    connection.execute(
        insert(MeasureAdministration),
        {
            "patient_id": patient_id,
            "measure": row.measure,
            "version": row.version,
            "answers": row.answers,
            "item_scores": row.item_scores,
            "total": row.total,
            "band": row.band,
            "positive": row.positive,
            "flags": list(row.flags),
            "missing": list(row.missing),
            "skipped": row.skipped,
            "delivered": row.delivered,
            "taken_at": row.taken_at or utcnow(),
        },
    )


def administrations(
    connection: Connection,
    *,
    patient_id: int,
    since: datetime | None = None,
    measure: str | None = None,
) -> list[MeasureRow]:
    """The patient's administrations, oldest first (``since``: from then on)."""
    query = select(*_COLUMNS).where(MeasureAdministration.patient_id == patient_id)
    if since is not None:
        query = query.where(MeasureAdministration.taken_at >= since)
    if measure is not None:
        query = query.where(MeasureAdministration.measure == measure)
    rows = connection.execute(
        query.order_by(MeasureAdministration.taken_at, MeasureAdministration.id)
    )
    return [_row(r) for r in rows]


def latest_administration(
    connection: Connection, *, patient_id: int, measure: str, scored_only: bool = True
) -> MeasureRow | None:
    """The latest administration of ``measure``: scored ones only, or (``scored_only``
    False) any, skips included (when it was last offered)."""
    query = select(*_COLUMNS).where(
        MeasureAdministration.patient_id == patient_id,
        MeasureAdministration.measure == measure,
    )
    if scored_only:
        query = query.where(MeasureAdministration.total.is_not(None))
    query = query.order_by(
        MeasureAdministration.taken_at.desc(), MeasureAdministration.id.desc()
    ).limit(1)
    found = connection.execute(query).first()
    return _row(found) if found is not None else None


def last_offered_at(connection: Connection, *, patient_id: int) -> datetime | None:
    """When a questionnaire was last offered to the patient after a check-in, if ever."""
    found = connection.execute(
        select(Patient.measure_offered_at).where(Patient.id == patient_id)
    ).scalar()
    return as_utc(found) if found is not None else None


def mark_offered(connection: Connection, *, patient_id: int, at: datetime) -> None:
    connection.execute(
        update(Patient).where(Patient.id == patient_id).values(measure_offered_at=at)
    )


def safety_event_since(connection: Connection, *, patient_id: int, since: datetime) -> bool:
    """Whether any crisis detection or direct question was logged for the patient since
    then (no questionnaire is offered on such a day)."""
    query = (
        select(SafetyEventRow.id)
        .where(SafetyEventRow.patient_id == patient_id, SafetyEventRow.created_at >= since)
        .limit(1)
    )
    return connection.execute(query).first() is not None


def latest_taken_by_measure(
    connection: Connection, *, patient_ids: Sequence[int], measures: Sequence[str]
) -> dict[tuple[int, str], datetime]:
    """When each patient was last given or offered each measure (skips count): one query
    for a whole batch of reminders."""
    if not patient_ids or not measures:
        return {}
    rows = connection.execute(
        select(
            MeasureAdministration.patient_id,
            MeasureAdministration.measure,
            func.max(MeasureAdministration.taken_at),
        )
        .where(
            MeasureAdministration.patient_id.in_(patient_ids),
            MeasureAdministration.measure.in_(measures),
        )
        .group_by(MeasureAdministration.patient_id, MeasureAdministration.measure)
    )
    return {(patient_id, measure): as_utc(at) for patient_id, measure, at in rows}


def with_safety_events_since(
    connection: Connection, *, patient_ids: Sequence[int], since: datetime
) -> set[int]:
    """Which of ``patient_ids`` had a crisis detection or direct question since then."""
    if not patient_ids:
        return set()
    rows = connection.execute(
        select(SafetyEventRow.patient_id)
        .where(SafetyEventRow.patient_id.in_(patient_ids), SafetyEventRow.created_at >= since)
        .distinct()
    )
    return {patient_id for (patient_id,) in rows if patient_id is not None}


def _row(r: Any) -> MeasureRow:
    return MeasureRow(
        measure=r.measure,
        version=r.version,
        taken_at=as_utc(r.taken_at),
        total=r.total,
        band=r.band,
        positive=r.positive,
        answers=dict(r.answers or {}),
        item_scores=dict(r.item_scores or {}),
        flags=tuple(r.flags or ()),
        missing=tuple(r.missing or ()),
        skipped=bool(r.skipped),
        delivered=r.delivered,
    )


def scored_totals(
    connection: Connection, *, patient_ids: Sequence[int], since: datetime | None = None
) -> list[tuple[int, str, datetime, float, str | None]]:
    """(patient id, measure, when, total, band) of every scored administration of these
    patients, oldest first: one query for a whole list of patients (the portal's)."""
    if not patient_ids:
        return []
    query = select(
        MeasureAdministration.patient_id,
        MeasureAdministration.measure,
        MeasureAdministration.taken_at,
        MeasureAdministration.total,
        MeasureAdministration.band,
    ).where(
        MeasureAdministration.patient_id.in_(list(patient_ids)),
        MeasureAdministration.total.is_not(None),
    )
    if since is not None:
        query = query.where(MeasureAdministration.taken_at >= since)
    rows = connection.execute(
        query.order_by(MeasureAdministration.taken_at, MeasureAdministration.id)
    )
    return [
        (p, m, as_utc(at), float(total), band)
        for p, m, at, total, band in rows
        if total is not None
    ]
