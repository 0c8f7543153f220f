"""What the patient list reads: only each patient's last two check-ins and each measure's
latest score with the one before it, the same figures as reading everything, and the
ratings still there when the rows are sealed with a data key."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.coach.service import CoachService
from bot.db import measures, sharing
from bot.db.crypto import KeyRing, use_keys
from bot.db.models import JournalEntry, MeasureAdministration, Patient, utcnow
from bot.db.portal_reads import latest_scored_totals, listed_patients
from bot.portal.scores import StoredScores, questionnaire_names


@pytest.fixture(autouse=True)
def data_key() -> Iterator[None]:
    """Rows sealed as a practice stores them (the key ring is process-wide)."""
    use_keys(KeyRing.from_keys(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    yield
    use_keys(KeyRing())


def _patient(connection: Connection, n: int) -> int:
    patient_id = int(
        connection.execute(
            insert(Patient)
            .values(channel="telegram", external_id=str(9000 + n), consent=True)
            .returning(Patient.id)
        ).scalar_one()
    )
    invitation = sharing.add_invitation(
        connection,
        code_hash=f"{n:064d}",
        label=f"Record {n}",
        created_by=None,
        expires_at=utcnow(),
    )
    sharing.start_share(
        connection,
        patient_id=patient_id,
        invitation_id=invitation,
        scores=True,
        crisis=True,
        journal=False,
    )
    return patient_id


def _check_in(patient_id: int, days_ago: float, mood: int, craving: int) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "kind": "check_in",
        "flow_id": "checkin",
        "flow_version": 1,
        "data": {"mood": mood, "craving": craving, "note": "a note"},
        "created_at": utcnow() - timedelta(days=days_ago),
    }


def _given(patient_id: int, measure: str, days_ago: float, total: float | None) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "measure": measure,
        "version": "1",
        "answers": {},
        "item_scores": {},
        "total": total,
        "band": None if total is None else f"band {total:g}",
        "positive": None,
        "flags": [],
        "missing": [],
        "skipped": total is None,
        "delivered": "asked",
        "taken_at": utcnow() - timedelta(days=days_ago),
    }


async def test_the_list_shows_sealed_check_ins_ratings(service: CoachService) -> None:
    def fill(connection: Connection) -> list[int]:
        ids = [_patient(connection, n) for n in range(3)]
        rows = [_check_in(ids[0], d, mood=d, craving=9 - d) for d in (1, 2, 3)]
        rows.append(_check_in(ids[1], 1, mood=4, craving=2))
        rows.append({**_check_in(ids[1], 0.5, 0, 0), "kind": "thought_record"})  # not one
        connection.execute(insert(JournalEntry), rows)
        return ids

    ids = await service.database.transaction(fill)
    listed = {p.share.patient_id: p for p in await service.database.transaction(listed_patients)}
    first, second, third = (listed[i] for i in ids)
    assert first.last_check_in is not None and first.previous_check_in is not None
    assert first.last_check_in.data == {"mood": 1, "craving": 8}  # opened, then only these
    assert first.previous_check_in.data == {"mood": 2, "craving": 7}
    assert second.last_check_in is not None and second.last_check_in.data["mood"] == 4
    assert second.previous_check_in is None
    assert third.last_check_in is None and third.share.label == "Record 2"


async def test_latest_scores_are_what_every_score_would_give(service: CoachService) -> None:
    def fill(connection: Connection) -> list[int]:
        ids = [_patient(connection, n) for n in range(3)]
        connection.execute(
            insert(MeasureAdministration),
            [
                _given(ids[0], "gad7", 40, 12),
                _given(ids[0], "phq9", 30, 9),
                _given(ids[0], "phq9", 20, 14),
                _given(ids[0], "gad7", 15, 8),
                _given(ids[0], "phq9", 10, 14),
                _given(ids[0], "phq9", 5, None),  # offered and skipped: no score
                _given(ids[1], "peg", 3, 6),
                _given(ids[2], "phq9", 2, None),
            ],
        )
        return ids

    ids = await service.database.transaction(fill)
    source = StoredScores(questionnaire_names(Path("flows")))

    def both(connection: Connection) -> tuple[Any, Any, Any]:
        every = measures.scored_totals(connection, patient_ids=ids)
        return every, latest_scored_totals(connection, ids), source.latest(connection, ids)

    every, latest, shown = await service.database.transaction(both)
    expected = []
    for patient_id in ids:  # what the list showed when it read every score
        mine = [row for row in every if row[0] == patient_id]
        for measure in dict.fromkeys(row[1] for row in mine):
            given = [row for row in mine if row[1] == measure]
            before = given[-2][3] if len(given) > 1 else None
            expected.append((*given[-1], before))
    assert latest == expected
    assert [(s.measure, s.total, s.direction) for s in shown[ids[0]]] == [
        ("GAD-7", 8.0, "down"),
        ("PHQ-9", 14.0, "same"),
    ]
    assert [(s.measure, s.total, s.direction) for s in shown[ids[1]]] == [("PEG", 6.0, None)]
    assert ids[2] not in shown  # only skipped: nothing to show
    assert await service.database.transaction(lambda c: latest_scored_totals(c, [])) == []
