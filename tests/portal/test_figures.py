"""The portal's use days count as /progress counts them: the patient's own calendar days,
each as its last check-in ended it, so the page and the patient's own figures agree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.coach.progress.figures import ProgressFigures, progress_figures
from bot.db.journal import JournalItem
from bot.db.portal_reads import CheckIn
from bot.portal.figures import skills_practised, use_days

DENVER = ZoneInfo("America/Denver")


def _check_ins() -> list[CheckIn]:
    return [
        # Nov 3, 22:30 in Denver (05:30 UTC on the 4th): a day without, late at night.
        CheckIn(datetime(2026, 11, 4, 5, 30, tzinfo=UTC), {"kratom": "none"}),
        # Nov 4 in Denver: used in the morning, then a later check-in says none: it ended so.
        CheckIn(datetime(2026, 11, 4, 15, 0, tzinfo=UTC), {"kratom": "usual"}),
        CheckIn(datetime(2026, 11, 5, 3, 0, tzinfo=UTC), {"kratom": "none"}),
        # Nov 5 in Denver: more than usual.
        CheckIn(datetime(2026, 11, 5, 18, 0, tzinfo=UTC), {"kratom": "more"}),
        # Nov 6: a check-in without the question answered.
        CheckIn(datetime(2026, 11, 6, 18, 0, tzinfo=UTC), {"mood": 5}),
    ]


def _progress(journal: list[JournalItem]) -> ProgressFigures:
    """/progress's figures for the week to Nov 6, in Denver."""
    return progress_figures(
        measures=[],
        journal=journal,
        questionnaires={},
        today=date(2026, 11, 6),
        days=7,
        zone=DENVER,
    )


def test_use_days_are_the_patients_days_as_progress_counts_them() -> None:
    check_ins = _check_ins()
    used, answered = use_days(check_ins, datetime(2026, 11, 1, tzinfo=UTC), DENVER)
    assert (used, answered) == (1, 3)  # Nov 3 none, Nov 4 none (as it ended), Nov 5 more

    journal = [JournalItem("check_in", "checkin", 1, c.data, c.at) for c in check_ins]
    figures = _progress(journal)
    assert figures.kratom_days == used
    assert figures.kratom_free_days + figures.kratom_days == answered


def test_in_utc_days_the_late_check_in_would_fall_on_the_next_day() -> None:
    used, answered = use_days(_check_ins(), datetime(2026, 11, 1, tzinfo=UTC), ZoneInfo("UTC"))
    assert (used, answered) == (2, 2)  # another count: which is why the zone matters


def test_a_return_to_use_after_a_break_is_a_use_day() -> None:
    relapse = [CheckIn(datetime(2026, 11, 4, 18, 0, tzinfo=UTC), {"kratom": "after_break"})]
    assert use_days(relapse, datetime(2026, 11, 1, tzinfo=UTC), DENVER) == (1, 1)
    journal = [JournalItem("check_in", "checkin", 1, c.data, c.at) for c in relapse]
    figures = _progress(journal)
    assert figures.kratom_days == 1


def test_skills_are_counted_as_progress_counts_them_check_ins_and_practice_alike() -> None:
    """One skill, one count: a check-in saved before check-in version 3 ("breathing"), one
    after ("paced_breathing") and a practice of the flow itself are the same skill."""
    at = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
    check_ins = [
        CheckIn(at, {"skills": ["breathing", "urge_surfing"]}),
        CheckIn(at, {"skills": ["paced_breathing"]}),
    ]
    practices = [
        CheckIn(at, {"skill": "paced_breathing", "distress_before": 8, "distress_after": 4}),
        CheckIn(at, {"skill": "grounding", "distress_before": None, "distress_after": None}),
        # before the page's window: not counted
        CheckIn(datetime(2026, 10, 1, tzinfo=UTC), {"skill": "grounding"}),
    ]
    shown = skills_practised(check_ins, practices, datetime(2026, 11, 1, tzinfo=UTC))
    assert shown == [("paced breathing", 3), ("grounding", 1), ("urge surfing", 1)]
    named = skills_practised(
        check_ins, practices, datetime(2026, 11, 1, tzinfo=UTC), {"paced_breathing": "Breathing"}
    )
    assert named[0] == ("Breathing", 3)  # the page names them as /progress does

    journal = [JournalItem("check_in", "checkin", 1, c.data, c.at) for c in check_ins] + [
        JournalItem("skill_practice", "breathe", 1, p.data, p.at) for p in practices[:2]
    ]
    figures = _progress(journal)
    assert [(u.skill.replace("_", " "), u.times) for u in figures.skills] == shown
