"""What the portal shows, read in a few statements: the list of sharing patients and one
patient's page. Only active shares are read, and each part only when it was shared.

Plain values out, never a commit; the list is one statement per part (not one per
patient), so 2,000 patients render in well under the portal's 200 ms (benchmarks/portal.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from bot.db.models import Alert, JournalEntry, SafetyEventRow, Share, as_utc
from bot.db.sharing import ShareRecord, active_share_by_id, active_shares

__all__ = [
    "CHECK_IN_KIND",
    "CheckIn",
    "ListedPatient",
    "PatientData",
    "SafetyMark",
    "listed_patients",
    "patient_data",
]

CHECK_IN_KIND = "check_in"
#: Journal kinds the portal does not list as entries (check-ins have their own table; the
#: building-risk note is the coach's, not the patient's).
NOT_ENTRIES = (CHECK_IN_KIND, "risk_note")
#: The check-in ratings the patient list shows (the latest, and its direction).
LISTED_RATINGS = ("mood", "craving")


@dataclass(frozen=True)
class CheckIn:
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class ListedPatient:
    share: ShareRecord
    last_check_in: CheckIn | None
    previous_check_in: CheckIn | None
    open_alerts: int


@dataclass(frozen=True)
class SafetyMark:
    """A crisis event as the portal may show it: its kind and time, never the words."""

    at: datetime
    category: str
    asked: bool


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class PatientData:
    share: ShareRecord
    check_ins: list[CheckIn]
    safety: list[SafetyMark]
    entries: list[Entry]


def listed_patients(connection: Connection) -> list[ListedPatient]:
    """Every active share with its last two check-ins (if ratings are shared) and open alerts."""
    shares = active_shares(connection)
    rated = [s.patient_id for s in shares if s.scores]
    recent: dict[int, list[CheckIn]] = {}
    if rated:
        # Each patient's last two ids through the (patient_id, created_at) index (a short
        # backward range per patient), then those rows alone with their data.
        def nth_latest(offset: int) -> Any:
            later = aliased(JournalEntry)
            return (
                select(later.id)
                .where(later.patient_id == Share.patient_id, later.kind == CHECK_IN_KIND)
                .order_by(later.created_at.desc(), later.id.desc())
                .limit(1)
                .offset(offset)
                .correlate(Share)
                .scalar_subquery()
            )

        pairs = connection.execute(
            select(nth_latest(0), nth_latest(1)).where(
                Share.withdrawn_at.is_(None), Share.scores.is_(True)
            )
        ).all()
        ids = [i for pair in pairs for i in pair if i is not None]
        # Only the ratings the list shows, read out of the JSON by the database.
        rows = connection.execute(
            select(
                JournalEntry.patient_id,
                JournalEntry.created_at,
                *(JournalEntry.data[name].as_string() for name in LISTED_RATINGS),
            ).where(JournalEntry.id.in_(ids))
        )
        for patient_id, at, *values in rows:
            recent.setdefault(patient_id, []).append(
                CheckIn(as_utc(at), dict(zip(LISTED_RATINGS, values, strict=True)))
            )
    counts = dict(
        connection.execute(
            select(Alert.share_id, func.count())
            .where(Alert.status != "closed")
            .group_by(Alert.share_id)
        ).all()
    )
    listed = []
    for share in shares:
        two = sorted(recent.get(share.patient_id, []), key=lambda c: c.at, reverse=True)
        listed.append(
            ListedPatient(
                share,
                two[0] if two else None,
                two[1] if len(two) > 1 else None,
                int(counts.get(share.id, 0)),
            )
        )
    return listed


def patient_data(connection: Connection, share_id: int, *, since: datetime) -> PatientData | None:
    """One sharing patient's page from ``since`` on; None when the share is not active."""
    share = active_share_by_id(connection, share_id)
    if share is None:
        return None
    check_ins: list[CheckIn] = []
    if share.scores:
        rows = connection.execute(
            select(JournalEntry.created_at, JournalEntry.data)
            .where(
                JournalEntry.patient_id == share.patient_id,
                JournalEntry.kind == CHECK_IN_KIND,
                JournalEntry.created_at >= since,
            )
            .order_by(JournalEntry.created_at, JournalEntry.id)
        )
        check_ins = [CheckIn(as_utc(at), data) for at, data in rows]
    safety: list[SafetyMark] = []
    if share.crisis:
        rows = connection.execute(
            select(SafetyEventRow.created_at, SafetyEventRow.category, SafetyEventRow.rule_id)
            .where(
                SafetyEventRow.patient_id == share.patient_id,
                SafetyEventRow.created_at >= since,
            )
            .order_by(SafetyEventRow.created_at.desc())
        )
        safety = [
            SafetyMark(as_utc(at), str(category), str(rule).startswith("ask:"))
            for at, category, rule in rows
        ]
    entries: list[Entry] = []
    if share.journal:
        rows = connection.execute(
            select(JournalEntry.created_at, JournalEntry.kind, JournalEntry.data)
            .where(
                JournalEntry.patient_id == share.patient_id,
                JournalEntry.kind.not_in(NOT_ENTRIES),
                JournalEntry.created_at >= since,
            )
            .order_by(JournalEntry.created_at.desc())
        )
        entries = [Entry(as_utc(at), str(kind), data) for at, kind, data in rows]
    return PatientData(share, check_ins, safety, entries)
