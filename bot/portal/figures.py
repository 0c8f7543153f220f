"""The figures a clinician reads on the list and a patient's page, from plain stored values.

Pure functions: check-ins in, numbers and chart points out. A chart is drawn as an SVG
polyline by the template (no script runs in the portal), one line per rating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.coach.progress.figures import KRATOM_USED, last_check_in_by_day, skill_uses
from bot.db.portal_reads import CheckIn, ListedPatient
from bot.portal.scores import Score

__all__ = [
    "CHART_RATINGS",
    "Chart",
    "Direction",
    "ListRow",
    "direction",
    "list_rows",
    "rating",
    "rating_chart",
    "skills_practised",
    "use_days",
]

#: The check-in's 0-10 ratings the page draws, with their labels.
CHART_RATINGS = (("mood", "Mood"), ("anxiety", "Anxiety"), ("craving", "Craving"), ("pain", "Pain"))
CHART_WIDTH, CHART_HEIGHT = 720, 160


def rating(check_in: CheckIn | None, name: str) -> float | None:
    """A 0-10 rating of a check-in, or None when it was skipped or is not a number."""
    if check_in is None:
        return None
    value = check_in.data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number <= 10 else None


@dataclass(frozen=True)
class Direction:
    arrow: str
    words: str


def direction(latest: float | None, previous: float | None) -> Direction | None:
    if latest is None or previous is None:
        return None
    if latest > previous:
        return Direction("↑", "up")
    if latest < previous:
        return Direction("↓", "down")
    return Direction("→", "same")


def use_days(check_ins: Sequence[CheckIn], since: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """Days with kratom use, and days its question was answered, among check-ins since
    ``since``: the patient's own calendar days, each as its last check-in ended it, as
    /progress and its PDF count them (``none`` is a day without)."""
    days = last_check_in_by_day(((c.at, c.data) for c in check_ins if c.at >= since), zone)
    answered = [
        data.get("kratom") for data in days.values() if data.get("kratom") not in (None, "")
    ]
    return sum(1 for value in answered if value in KRATOM_USED), len(answered)


def skills_practised(
    check_ins: Sequence[CheckIn],
    practices: Sequence[CheckIn],
    since: datetime,
    labels: Mapping[str, str] | None = None,
) -> list[tuple[str, int]]:
    """How often each skill was used since ``since``, most used first: counted as
    /progress counts it (ticked in a check-in, or practised on its own), and named as it
    names them (``labels``: the buttons' words, ``library_labels``; else the id in words)."""
    uses = skill_uses(
        [c.data for c in check_ins if c.at >= since], [p.data for p in practices if p.at >= since]
    )
    named = labels or {}
    return [(named.get(use.skill, use.skill.replace("_", " ")), use.times) for use in uses]


@dataclass(frozen=True)
class ChartLine:
    name: str
    label: str
    points: str  # "x,y x,y ..." for an SVG polyline


@dataclass(frozen=True)
class Chart:
    lines: list[ChartLine]
    start: datetime
    end: datetime
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def rating_chart(check_ins: Sequence[CheckIn], start: datetime, end: datetime) -> Chart:
    """Each rating over time, scaled into the chart's box (0 at the bottom, 10 at the top)."""
    span = max((end - start).total_seconds(), timedelta(days=1).total_seconds())
    lines = []
    for name, label in CHART_RATINGS:
        points = []
        for check_in in check_ins:
            value = rating(check_in, name)
            if value is None:
                continue
            x = (check_in.at - start).total_seconds() / span * CHART_WIDTH
            y = CHART_HEIGHT - value / 10 * CHART_HEIGHT
            points.append(f"{x:.1f},{y:.1f}")
        lines.append(ChartLine(name, label, " ".join(points)))
    return Chart(lines, start, end)


@dataclass(frozen=True)
class ListRow:
    """One line of the patient list, already put into words (the template only prints)."""

    share_id: int
    label: str
    since: str
    shared: bool
    last: str | None
    mood: str
    craving: str
    scores: str
    open_alerts: int


def _rating_words(latest: CheckIn | None, previous: CheckIn | None, name: str) -> str:
    value = rating(latest, name)
    if value is None:
        return "–"
    way = direction(value, rating(previous, name))
    return f"{round(value)}/10 {way.arrow}" if way else f"{round(value)}/10"


def _score_words(scores: Sequence[Score]) -> str:
    arrows = {"up": " ↑", "down": " ↓"}
    return ", ".join(
        f"{s.measure} {s.total:g}{f' ({s.band})' if s.band else ''}{arrows.get(s.direction or '', '')}"
        for s in scores
    )


def list_rows(
    listed: Sequence[ListedPatient], scores: dict[int, list[Score]], now: datetime
) -> list[ListRow]:
    rows = []
    for p in listed:
        last = p.last_check_in
        rows.append(
            ListRow(
                share_id=p.share.id,
                label=p.share.label or "Patient",
                since=p.share.started_at.strftime("%Y-%m-%d"),
                shared=p.share.scores,
                last=f"{last.at:%Y-%m-%d} ({(now - last.at).days} d ago)" if last else None,
                mood=_rating_words(last, p.previous_check_in, "mood"),
                craving=_rating_words(last, p.previous_check_in, "craving"),
                scores=_score_words(scores.get(p.share.patient_id, [])),
                open_alerts=p.open_alerts,
            )
        )
    return rows
