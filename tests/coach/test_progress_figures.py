"""/progress's numbers, checked against the rows they come from: no entries, one entry,
gaps of several days, entries across a daylight-saving change, a year of daily entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from bot.coach.measures import questionnaires_of
from bot.coach.progress.command import answer_labels
from bot.coach.progress.figures import ProgressFigures, progress_figures
from bot.coach.progress.summary import summary_lines
from bot.db.journal import JournalItem
from bot.db.measures import MeasureRow
from bot.flow.engine import Engine

CHICAGO = ZoneInfo("America/Chicago")


def _checkin(
    at: datetime, mood: int, craving: int = 3, kratom: str = "none", **extra: object
) -> JournalItem:
    data = {"mood": mood, "anxiety": 4, "craving": craving, "sleep": 6, "pain": 2, "kratom": kratom}
    data.update(extra)  # type: ignore[arg-type]
    return JournalItem("check_in", "checkin", 1, data, at)


def _phq9(at: datetime, total: float, band: str) -> MeasureRow:
    return MeasureRow("phq9", "PHQ-9 (1999)", at, total=total, band=band)


def _figures(engine: Engine, today: date, days: int = 28, **rows: list) -> ProgressFigures:  # type: ignore[type-arg]
    return progress_figures(
        measures=rows.get("measures", []),
        journal=rows.get("journal", []),
        questionnaires=questionnaires_of(engine),
        today=today,
        days=days,
        zone=CHICAGO,
    )


def _local(day: date, hour: int = 20) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHICAGO).astimezone(UTC)


def test_no_entries(engine: Engine) -> None:
    figures = _figures(engine, date(2026, 12, 1))
    assert figures.empty and figures.checkin_days == 0
    assert figures.days[0] == date(2026, 11, 4) and figures.days[-1] == date(2026, 12, 1)
    assert all(v is None for v in figures.daily["mood"])
    assert all(m.latest is None and m.change is None for m in figures.measures)


def test_one_entry(engine: Engine) -> None:
    today = date(2026, 12, 1)
    figures = _figures(
        engine,
        today,
        journal=[_checkin(_local(today), mood=6, skills=["breathing"])],
        measures=[_phq9(_local(today), 14, "moderate")],
    )
    phq9 = next(m for m in figures.measures if m.measure == "phq9")
    assert (phq9.latest, phq9.latest_band, phq9.first, phq9.change) == (14, "moderate", 14, None)
    mood = next(r for r in figures.ratings if r.name == "mood")
    assert (mood.average, mood.days, mood.first_half, mood.second_half) == (6, 1, None, 6)
    assert figures.daily["mood"][-1] == 6 and figures.daily["mood"][:-1] == (None,) * 27
    assert figures.skills[0].skill == "paced_breathing" and figures.skills[0].times == 1


def test_gaps_of_several_days_stay_gaps(engine: Engine) -> None:
    today = date(2026, 12, 1)
    days = [today - timedelta(days=n) for n in (0, 1, 6, 7, 15)]  # gaps of 4 and 7 days
    moods = [8, 7, 4, 3, 2]
    journal = [
        _checkin(_local(d), m, kratom="more" if m < 4 else "none")
        for d, m in zip(days, moods, strict=True)
    ]
    measures = [
        _phq9(_local(today - timedelta(days=26)), 16, "moderately severe"),
        _phq9(_local(today - timedelta(days=12)), 11, "moderate"),
        _phq9(_local(today), 8, "mild"),
    ]
    figures = _figures(engine, today, journal=journal, measures=measures)
    assert figures.checkin_days == 5
    given = {figures.days[i]: v for i, v in enumerate(figures.daily["mood"]) if v is not None}
    assert given == {d: float(m) for d, m in zip(days, moods, strict=True)}
    assert sum(v is None for v in figures.daily["mood"]) == 23
    mood = next(r for r in figures.ratings if r.name == "mood")
    assert mood.average == round(fmean(moods), 1)
    assert mood.first_half == 2 and mood.second_half == round(fmean([8, 7, 4, 3]), 1)
    assert mood.change == round(fmean([8, 7, 4, 3]) - 2, 1)
    assert (figures.kratom_days, figures.kratom_more_days, figures.kratom_free_days) == (2, 2, 3)
    phq9 = next(m for m in figures.measures if m.measure == "phq9")
    assert (phq9.first, phq9.latest, phq9.change) == (16, 8, -8)
    assert (phq9.first_band, phq9.latest_band) == ("moderately severe", "mild")
    assert [p[0] for p in phq9.points] == [
        today - timedelta(days=26),
        today - timedelta(days=12),
        today,
    ]


def test_entries_across_a_daylight_saving_change_count_by_local_day(engine: Engine) -> None:
    # US clocks go back on Sunday 1 November 2026 (02:00 CDT -> 01:00 CST).
    today = date(2026, 11, 3)
    moments = [
        datetime(2026, 10, 31, 23, 30, tzinfo=CHICAGO),  # Saturday night, CDT (UTC-5)
        datetime(2026, 11, 1, 0, 30, tzinfo=CHICAGO),  # just after midnight: Sunday
        datetime(
            2026, 11, 1, 23, 30, tzinfo=CHICAGO
        ),  # Sunday night, CST (UTC-6): 05:30 UTC Monday
        datetime(2026, 11, 2, 0, 15, tzinfo=CHICAGO),  # Monday
    ]
    journal = [_checkin(m.astimezone(UTC), mood=n + 1) for n, m in enumerate(moments)]
    figures = _figures(engine, today, days=7, journal=journal)
    by_day = dict(zip(figures.days, figures.daily["mood"], strict=True))
    assert len(figures.days) == 7 and len(set(figures.days)) == 7
    assert by_day[date(2026, 10, 31)] == 1
    assert by_day[date(2026, 11, 1)] == 3  # the day's last check-in (two that Sunday)
    assert by_day[date(2026, 11, 2)] == 4
    assert figures.checkin_days == 3
    # In UTC the Sunday-night entry falls on Monday; by local days it does not.
    assert moments[2].astimezone(UTC).date() == date(2026, 11, 2)


def test_a_year_of_daily_entries(engine: Engine) -> None:
    today = date(2026, 12, 1)
    journal = []
    measures = []
    for n in range(365):
        day = today - timedelta(days=n)
        journal.append(_checkin(_local(day, 21), mood=n % 11, craving=(n * 3) % 11))
        if n % 14 == 0:
            measures.append(_phq9(_local(day, 9), float(n % 28), "any"))
    journal.reverse()
    measures.reverse()
    year = _figures(engine, today, days=365, journal=journal, measures=measures)
    assert year.checkin_days == 365 and None not in year.daily["mood"]
    mood = next(r for r in year.ratings if r.name == "mood")
    assert mood.average == round(fmean(n % 11 for n in range(365)), 1)
    phq9 = next(m for m in year.measures if m.measure == "phq9")
    assert phq9.taken == 27 and phq9.latest == 0 and phq9.first == float(364 // 14 * 14 % 28)
    # The 12-week view of the same rows counts only its own 84 days.
    twelve = _figures(engine, today, days=84, journal=journal, measures=measures)
    assert twelve.checkin_days == 84 and twelve.days[0] == today - timedelta(days=83)
    assert next(m for m in twelve.measures if m.measure == "phq9").taken == 6


def test_rows_in_any_order_give_the_same_figures(engine: Engine) -> None:
    today = date(2026, 12, 1)
    journal = [_checkin(_local(today - timedelta(days=n)), mood=n % 11) for n in range(20)]
    measures = [_phq9(_local(today - timedelta(days=n)), float(n), "any") for n in (0, 14)]
    forward = _figures(engine, today, journal=journal[::-1], measures=measures[::-1])
    assert _figures(engine, today, journal=journal, measures=measures) == forward
    phq9 = next(m for m in forward.measures if m.measure == "phq9")
    assert (phq9.first, phq9.latest, phq9.change) == (14, 0, -14)


def test_other_substances_count_by_day_and_kind(engine: Engine) -> None:
    """Swapping shows: the days with anything besides kratom, and each substance's days
    (a day's last check-in counts; 'none' is not a substance); the summary says them."""
    today = date(2026, 12, 1)
    journal = [
        _checkin(_local(today), 5, others=["alcohol", "gabapentin"]),
        _checkin(_local(today, hour=9), 5, others=["opioids"]),  # earlier that day: replaced
        _checkin(_local(today - timedelta(days=1)), 5, others=["alcohol"]),
        _checkin(_local(today - timedelta(days=2)), 5, others=["none"]),
        _checkin(_local(today - timedelta(days=3)), 5),  # not answered
        _checkin(_local(today - timedelta(days=40)), 5, others=["phenibut"]),  # before the period
    ]
    figures = _figures(engine, today, journal=journal)
    assert figures.checkin_days == 4 and figures.other_substance_days == 2
    assert figures.other_substances == (("alcohol", 2), ("gabapentin", 1))
    lines = summary_lines(figures, engine.library.content, answer_labels(engine), 4)
    (line,) = [line for line in lines if "besides kratom" in line]
    assert line.startswith("Something besides kratom on 2 of 4 check-in days: alcohol (2), ")
    quiet = _figures(engine, today, journal=journal[3:5])
    assert quiet.other_substance_days == 0 and quiet.other_substances == ()
    assert not any(
        "besides kratom" in line
        for line in summary_lines(quiet, engine.library.content, answer_labels(engine), 4)
    )


def test_a_skill_after_which_distress_rose_is_not_said_to_lower_it(engine: Engine) -> None:
    """Paced breathing practised at 9 and rated 10 after: never "distress down -1"."""
    today = date(2026, 12, 1)
    rose = {"skill": "paced_breathing", "distress_before": 9, "distress_after": 10}
    fell = {"skill": "grounding", "distress_before": 8, "distress_after": 5}
    journal = [
        _checkin(_local(today), mood=5),
        JournalItem("skill_practice", "distress", 1, rose, _local(today)),
        JournalItem("skill_practice", "distress", 1, fell, _local(today)),
    ]
    figures = _figures(engine, today, journal=journal)
    (line,) = [
        line
        for line in summary_lines(figures, engine.library.content, answer_labels(engine), 4)
        if "×" in line
    ]
    assert "distress down 3 on average" in line and "not lower afterwards yet" in line
    assert "down -" not in line
