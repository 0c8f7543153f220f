"""What the portal shows, read in a few statements: the list of sharing patients and one
patient's page. Only active shares are read, and each part only when it was shared.

Plain values out, never a commit. The list is one statement per part (not one per
patient) and reads only what it shows: each patient's last two check-ins (opened in
Python, as they are sealed when a data key is in use) and each measure's last two scores
(numbered by the database), never every row, so 2,000 patients with a year of data
render within the portal's 200 ms (benchmarks/portal.py).

Over 300 lines: what the portal's pages read, side by side, so the rule that only what
was shared is read sits in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from bot.db.journal import JournalItem, journal_since
from bot.db.measures import MeasureRow, administrations
from bot.db.models import (
    Alert,
    JournalEntry,
    MeasureAdministration,
    Patient,
    SafetyEventRow,
    Share,
    as_utc,
)
from bot.db.sharing import ShareRecord, active_share_by_id, active_shares

__all__ = [
    "CHECK_IN_KIND",
    "ChartData",
    "CheckIn",
    "ListedPatient",
    "PatientData",
    "SafetyMark",
    "chart_data",
    "latest_scored_totals",
    "listed_patients",
    "patient_data",
]

CHECK_IN_KIND = "check_in"
#: Journal kinds the portal does not list as entries (check-ins have their own table; the
#: building-risk note is the coach's, not the patient's).
NOT_ENTRIES = (CHECK_IN_KIND, "risk_note")
#: What /progress reads of the journal beyond check-ins: fixed answers only, and only
#: when the journal is shared (bot.coach.progress.command.JOURNAL_KINDS).
JOURNAL_CHART_KINDS = ("trigger", "skill_practice", "lapse")
#: A skill practised on its own, and what of it the page counts (never the words).
PRACTICE_KIND = "skill_practice"
PRACTICE_FIELDS = ("skill", "distress_before", "distress_after")
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
    #: The patient's own zone (None: unset): the page counts their calendar days.
    timezone: str | None = None
    #: Skills practised on their own (the skill and the distress before and after, no
    #: words), shared with the ratings: the page counts skills as /progress does.
    practices: list[CheckIn] = field(default_factory=list)


def listed_patients(connection: Connection) -> list[ListedPatient]:
    """Every active share with its last two check-ins (if ratings are shared) and open alerts."""
    shares = active_shares(connection)
    rated = [s.patient_id for s in shares if s.scores]
    recent: dict[int, list[CheckIn]] = {}
    if rated:
        # Each patient's last two ids through the (patient_id, created_at) index (a short
        # backward range per patient), and those rows alone with their data, in one
        # statement. The whole document is read: with a data key it is one sealed string,
        # so the database cannot read a rating out of it; only the listed ones are kept.
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

        pairs = (
            select(nth_latest(0).label("latest"), nth_latest(1).label("before"))
            .where(Share.withdrawn_at.is_(None), Share.scores.is_(True))
            .subquery()
        )
        rows = connection.execute(
            select(JournalEntry.patient_id, JournalEntry.created_at, JournalEntry.data).join(
                pairs, JournalEntry.id.in_((pairs.c.latest, pairs.c.before))
            )
        )
        for patient_id, at, data in rows:
            shown = (
                {name: data.get(name) for name in LISTED_RATINGS} if isinstance(data, dict) else {}
            )
            recent.setdefault(patient_id, []).append(CheckIn(as_utc(at), shown))
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
    practices: list[CheckIn] = []
    if share.scores:
        check_ins = _journal_of(connection, share.patient_id, CHECK_IN_KIND, since)
        practices = [
            CheckIn(p.at, {k: p.data.get(k) for k in PRACTICE_FIELDS})
            for p in _journal_of(connection, share.patient_id, PRACTICE_KIND, since)
            if isinstance(p.data, dict)
        ]
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
        journal_rows = connection.execute(
            select(JournalEntry.created_at, JournalEntry.kind, JournalEntry.data)
            .where(
                JournalEntry.patient_id == share.patient_id,
                JournalEntry.kind.not_in(NOT_ENTRIES),
                JournalEntry.created_at >= since,
            )
            .order_by(JournalEntry.created_at.desc())
        )
        entries = [Entry(as_utc(at), str(kind), data) for at, kind, data in journal_rows]
    zone = _zone_of(connection, share.patient_id)
    return PatientData(share, check_ins, safety, entries, zone, practices)


def _journal_of(
    connection: Connection, patient_id: int, kind: str, since: datetime
) -> list[CheckIn]:
    """The patient's journal entries of one kind from ``since`` on, oldest first."""
    rows = connection.execute(
        select(JournalEntry.created_at, JournalEntry.data)
        .where(
            JournalEntry.patient_id == patient_id,
            JournalEntry.kind == kind,
            JournalEntry.created_at >= since,
        )
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    return [CheckIn(as_utc(at), data) for at, data in rows]


def latest_scored_totals(
    connection: Connection, patient_ids: Sequence[int]
) -> list[tuple[int, str, datetime, float, str | None, float | None]]:
    """(patient id, measure, when, total, band, the total before it) of each measure's
    latest scored administration for these patients, a patient's measures in the order
    they were first given (the order the list has always shown them in).

    The list used to carry every administration of a year into Python to keep the last
    one of each. Now each (patient, measure) is found on the (patient_id, measure,
    taken_at) index (migration 0008), and its latest row and the total before it are a
    short backward range there: one row a measure, in one statement.
    """
    if not patient_ids:
        return []
    given = MeasureAdministration
    pairs = (
        select(given.patient_id, given.measure, func.min(given.taken_at).label("first_at"))
        .where(given.patient_id.in_(list(patient_ids)))
        .group_by(given.patient_id, given.measure)
        .subquery()
    )

    def nth_latest(column: str, offset: int) -> Any:
        later = aliased(MeasureAdministration)
        return (
            select(getattr(later, column))
            .where(
                later.patient_id == pairs.c.patient_id,
                later.measure == pairs.c.measure,
                later.total.is_not(None),
            )
            .order_by(later.taken_at.desc(), later.id.desc())
            .limit(1)
            .offset(offset)
            .correlate(pairs)
            .scalar_subquery()
        )

    latest = select(
        pairs.c.first_at,
        nth_latest("id", 0).label("latest_id"),
        nth_latest("total", 1).label("before"),
    ).subquery()
    rows = connection.execute(
        select(
            given.patient_id,
            given.measure,
            given.taken_at,
            given.total,
            given.band,
            latest.c.before,
        )
        .join(latest, given.id == latest.c.latest_id)
        .order_by(given.patient_id, latest.c.first_at, given.measure)
    )
    return [
        (int(p), str(m), as_utc(at), float(total), band, None if before is None else float(before))
        for p, m, at, total, band, before in rows
        if total is not None
    ]


@dataclass(frozen=True)
class ChartData:
    """What a sharing patient's chart (the PDF) is drawn from: their administrations and
    check-ins when scores are shared, the journal's fixed answers when it is, and their
    time zone (days are their own calendar days, as in /progress)."""

    share: ShareRecord
    timezone: str | None
    measures: list[MeasureRow]
    journal: list[JournalItem]


def chart_data(connection: Connection, share_id: int, *, since: datetime) -> ChartData | None:
    """The rows /progress reads, from ``since`` on, for what this share shares; None when
    the share is not active (the same rule as the patient page)."""
    share = active_share_by_id(connection, share_id)
    if share is None:
        return None
    zone = _zone_of(connection, share.patient_id)
    kinds = ((CHECK_IN_KIND,) if share.scores else ()) + (
        JOURNAL_CHART_KINDS if share.journal else ()
    )
    journal = (
        journal_since(connection, patient_id=share.patient_id, kinds=kinds, since=since)
        if kinds
        else []
    )
    rows = (
        administrations(connection, patient_id=share.patient_id, since=since)
        if share.scores
        else []
    )
    return ChartData(share, zone, rows, journal)


def _zone_of(connection: Connection, patient_id: int) -> str | None:
    """The patient's own time zone (None: unset): the page and the chart count their days."""
    return connection.execute(
        select(Patient.timezone).where(Patient.id == patient_id)
    ).scalar_one_or_none()
