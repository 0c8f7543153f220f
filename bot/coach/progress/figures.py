"""The figures of a patient's progress, computed once, from the rows, as plain data.

``progress_figures`` is the one place these numbers are made: /progress (its message,
chart and PDF) and the clinician portal show the same ones. It is pure: stored rows in
(questionnaire administrations, journal entries), a ``ProgressFigures`` out, nothing read
from a clock or a database. Days are the patient's own calendar days in their time zone,
so a check-in just after midnight counts for the new day there, whatever UTC says, and a
daylight-saving change neither doubles nor drops a day. A day without an entry is a gap
(None), never a zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.shared.zones import local_date

if TYPE_CHECKING:  # annotations only: the drawing process unpickles figures without a database
    from bot.db.journal import JournalItem
    from bot.db.measures import MeasureRow
    from bot.flow.questionnaire import Questionnaire

__all__ = [
    "CHECKIN_RATINGS",
    "KRATOM_USED",
    "MeasureTrend",
    "ProgressFigures",
    "RatingTrend",
    "SkillUse",
    "last_check_in_by_day",
    "progress_figures",
    "skill_uses",
]

#: The check-in's 0-10 ratings, in the order they are shown.
CHECKIN_RATINGS = ("mood", "anxiety", "craving", "sleep", "pain")
#: The check-in's answers to "kratom today?" that mean it was used (``none``: a day without;
#: ``after_break`` is a return to use after a break, a relapse day, and counts as use).
KRATOM_USED = ("less", "usual", "more", "after_break")
#: The check-in's answer to "anything else today?" that means nothing else.
NO_OTHER_SUBSTANCE = "none"
_TOP = 3


@dataclass(frozen=True)
class MeasureTrend:
    """One questionnaire over the period: first and latest score, and every score by day."""

    measure: str
    name: str
    first: float | None
    first_band: str | None
    latest: float | None
    latest_band: str | None
    #: Latest minus first (None with fewer than two scores).
    change: float | None
    #: (day, total) for each scored administration, oldest first.
    points: tuple[tuple[date, float], ...]
    taken: int
    skipped: int
    not_scored: int
    highest: float
    #: (lowest total, label) of each band, lowest first.
    bands: tuple[tuple[float, str], ...]
    decimals: int


@dataclass(frozen=True)
class RatingTrend:
    """One check-in rating: its average, and the first and second half's averages."""

    name: str
    average: float | None
    first_half: float | None
    second_half: float | None
    days: int

    @property
    def change(self) -> float | None:
        if self.first_half is None or self.second_half is None:
            return None
        return round(self.second_half - self.first_half, 1)


@dataclass(frozen=True)
class SkillUse:
    """A skill: how often it was used, and how much it helped when rated before and after
    (the average drop in distress, 0-10; None when never rated)."""

    skill: str
    times: int
    rated: int
    average_drop: float | None


@dataclass(frozen=True)
class ProgressFigures:
    """Everything /progress shows for one period (``start`` to ``end``, local days)."""

    start: date
    end: date
    days: tuple[date, ...]
    measures: tuple[MeasureTrend, ...]
    ratings: tuple[RatingTrend, ...]
    #: Each rating's value by day (the day's last check-in), None where there was none.
    daily: Mapping[str, tuple[float | None, ...]]
    checkin_days: int
    kratom_days: int
    kratom_more_days: int
    kratom_free_days: int
    #: Check-in days with another substance ticked (alcohol, benzodiazepines, ...), and each
    #: substance's days, most frequent first: swapping one for another shows here.
    other_substance_days: int
    other_substances: tuple[tuple[str, int], ...]
    lapses: int
    #: The feelings most often behind a written-down craving (fixed answers, never free text).
    triggers: tuple[tuple[str, int], ...]
    halt: tuple[tuple[str, int], ...]
    skills: tuple[SkillUse, ...]

    @property
    def empty(self) -> bool:
        return not self.checkin_days and not any(m.taken or m.skipped for m in self.measures)


def progress_figures(
    *,
    measures: Sequence[MeasureRow],
    journal: Sequence[JournalItem],
    questionnaires: Mapping[str, Questionnaire],
    today: date,
    days: int,
    zone: ZoneInfo,
) -> ProgressFigures:
    """The figures for the ``days`` local days ending ``today`` (in ``zone``)."""
    start = today - timedelta(days=days - 1)
    period = tuple(start + timedelta(days=i) for i in range(days))

    def day_of(moment: datetime) -> date:
        return local_date(moment, zone)

    def inside(moment: datetime) -> bool:
        return start <= day_of(moment) <= today

    rows = sorted((row for row in measures if inside(row.taken_at)), key=lambda r: r.taken_at)
    entries = [entry for entry in journal if inside(entry.created_at)]
    checkins = [e for e in entries if e.kind == "check_in"]
    last_checkin = last_check_in_by_day(((e.created_at, e.data) for e in checkins), zone)
    index = {day: i for i, day in enumerate(period)}
    daily: dict[str, tuple[float | None, ...]] = {}
    for rating in CHECKIN_RATINGS:
        values: list[float | None] = [None] * days
        for day, data in last_checkin.items():
            value = data.get(rating)
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[index[day]] = float(value)
        daily[rating] = tuple(values)
    kratom = [data.get("kratom") for data in last_checkin.values()]
    others = [
        [v for v in _listed(data, "others") if v != NO_OTHER_SUBSTANCE]
        for data in last_checkin.values()
    ]
    return ProgressFigures(
        start=start,
        end=today,
        days=period,
        measures=tuple(
            _measure_trend(questionnaire, [r for r in rows if r.measure == measure], day_of)
            for measure, questionnaire in questionnaires.items()
        ),
        ratings=tuple(_rating_trend(name, daily[name]) for name in CHECKIN_RATINGS),
        daily=daily,
        checkin_days=len(last_checkin),
        kratom_days=sum(1 for k in kratom if k in KRATOM_USED),
        kratom_more_days=sum(1 for k in kratom if k == "more"),
        kratom_free_days=sum(1 for k in kratom if k == "none"),
        other_substance_days=sum(1 for day in others if day),
        other_substances=_most_frequent((v for day in others for v in set(day)), top=None),
        lapses=sum(1 for e in entries if e.kind == "lapse"),
        triggers=_most_frequent(
            value for e in entries if e.kind == "trigger" for value in _listed(e.data, "emotion")
        ),
        halt=_most_frequent(
            value for e in entries if e.kind == "trigger" for value in _listed(e.data, "halt")
        ),
        skills=skill_uses(
            [e.data for e in checkins], [e.data for e in entries if e.kind == "skill_practice"]
        ),
    )


def last_check_in_by_day(
    check_ins: Iterable[tuple[datetime, Mapping[str, Any]]], zone: ZoneInfo
) -> dict[date, Mapping[str, Any]]:
    """Each of the patient's own calendar days with its last check-in's answers: a day
    with two check-ins counts once, as it ended (here and in the portal's figures)."""
    days: dict[date, Mapping[str, Any]] = {}
    for at, data in sorted(check_ins, key=lambda pair: pair[0]):
        days[local_date(at, zone)] = data
    return days


def _measure_trend(
    questionnaire: Questionnaire, rows: Sequence[MeasureRow], day_of: Any
) -> MeasureTrend:
    scored = [r for r in rows if not r.skipped and r.total is not None]
    first = scored[0] if scored else None
    latest = scored[-1] if scored else None
    change = None
    if first is not None and latest is not None and len(scored) > 1:
        assert first.total is not None and latest.total is not None
        change = round(latest.total - first.total, questionnaire.scoring.decimals)
    return MeasureTrend(
        measure=questionnaire.measure,
        name=questionnaire.name,
        first=first.total if first else None,
        first_band=first.band if first else None,
        latest=latest.total if latest else None,
        latest_band=latest.band if latest else None,
        change=change,
        points=tuple((day_of(r.taken_at), float(r.total or 0)) for r in scored),
        taken=sum(1 for r in rows if not r.skipped),
        skipped=sum(1 for r in rows if r.skipped),
        not_scored=sum(1 for r in rows if not r.skipped and r.total is None),
        highest=questionnaire.highest_total(),
        bands=tuple((band.at_least, band.label) for band in questionnaire.bands),
        decimals=questionnaire.scoring.decimals,
    )


def _rating_trend(name: str, values: tuple[float | None, ...]) -> RatingTrend:
    half = len(values) // 2
    given = [v for v in values if v is not None]
    return RatingTrend(
        name=name,
        average=_mean(given),
        first_half=_mean(v for v in values[:half] if v is not None),
        second_half=_mean(v for v in values[half:] if v is not None),
        days=len(given),
    )


#: A skill is named by its flow's id wherever it is recorded (a check-in's "skills", a
#: ``skill_practice`` entry), so one skill is counted once. Check-ins before version 3 of
#: flows/checkin.yaml saved two skills under other names; their answers are read as these.
EARLIER_SKILL_NAMES = {"breathing": "paced_breathing", "stop": "stop_skill"}


def skill_uses(
    checkins: Sequence[Mapping[str, Any]], practices: Sequence[Mapping[str, Any]]
) -> tuple[SkillUse, ...]:
    """Each skill's uses, most used first: ticked in a check-in, or practised on its own
    (a ``skill_practice`` entry, with the distress it left). The one count /progress, its
    PDF and the portal's patient page all show, so they never disagree."""
    times: Counter[str] = Counter()
    drops: dict[str, list[float]] = {}
    for data in checkins:
        times.update(EARLIER_SKILL_NAMES.get(s, s) for s in _listed(data, "skills"))
    for data in practices:
        skill = data.get("skill")
        if not isinstance(skill, str):
            continue
        times[skill] += 1
        before, after = data.get("distress_before"), data.get("distress_after")
        if isinstance(before, int | float) and isinstance(after, int | float):
            drops.setdefault(skill, []).append(float(before) - float(after))
    ranked = sorted(times.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple(
        SkillUse(skill, count, len(drops.get(skill, [])), _mean(drops.get(skill, [])))
        for skill, count in ranked
    )


def _listed(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _most_frequent(values: Iterable[str], top: int | None = _TOP) -> tuple[tuple[str, int], ...]:
    """Each value and its count, most frequent first; the first ``top`` (None: all)."""
    counts = Counter(values)
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:top])


def _mean(values: Iterable[float]) -> float | None:
    given = list(values)
    return round(fmean(given), 1) if given else None
