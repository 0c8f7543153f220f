"""Building risk as a pure rule: which days count, in whose calendar, and how often."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.safety.risk import is_low, low_days, risk_building
from bot.shared.zones import local_date
from bot.shared.zones import zone_or_default as zone_of

NY = ZoneInfo("America/New_York")
LOW = {"mood": 1, "craving": 3}
CRAVING = {"mood": 6, "craving": 9}
FINE = {"mood": 6, "craving": 3}


def at(day: int, hour: int = 15) -> datetime:
    """A UTC moment in November 2026 (15:00 UTC is 10:00 in New York)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_low_is_mood_at_most_2_or_craving_at_least_9() -> None:
    assert is_low({"mood": 2, "craving": 0}) and is_low({"mood": 10, "craving": 9})
    assert not is_low({"mood": 3, "craving": 8})
    assert not is_low({"mood": None, "craving": None}) and not is_low({})


def test_fires_on_the_third_low_day_of_five_not_the_second() -> None:
    two = [(at(20), LOW), (at(22), CRAVING)]
    assert risk_building(two, now=at(22), zone=NY, last_said=None) is None
    three = [*two, (at(24), LOW)]
    assert risk_building(three, now=at(24), zone=NY, last_said=None) == date(2026, 11, 24)


def test_days_outside_the_last_five_do_not_count() -> None:
    checkins = [(at(18), LOW), (at(19), LOW), (at(20), LOW), (at(24), LOW)]
    assert risk_building(checkins, now=at(24), zone=NY, last_said=None) is None
    checkins.append((at(21), LOW))  # the 20th is the first of the five days ending the 24th
    assert risk_building(checkins, now=at(24), zone=NY, last_said=None) == date(2026, 11, 24)


def test_several_low_check_ins_on_one_day_count_once() -> None:
    checkins = [(at(24, 13), LOW), (at(24, 18), LOW), (at(24, 22), CRAVING), (at(23), LOW)]
    assert low_days(checkins, NY) == {date(2026, 11, 23), date(2026, 11, 24)}
    assert risk_building(checkins, now=at(24, 22), zone=NY, last_said=None) is None


def test_a_day_is_low_if_any_check_in_that_day_was_low() -> None:
    checkins = [(at(22), LOW), (at(23), CRAVING), (at(24, 13), FINE), (at(24, 18), LOW)]
    assert risk_building(checkins, now=at(24, 18), zone=NY, last_said=None) == date(2026, 11, 24)


def test_not_twice_the_same_day_but_again_the_next_day_if_still_low() -> None:
    checkins = [(at(22), LOW), (at(23), LOW), (at(24), LOW)]
    assert risk_building(checkins, now=at(24, 20), zone=NY, last_said=date(2026, 11, 24)) is None
    checkins.append((at(25), LOW))
    assert risk_building(checkins, now=at(25), zone=NY, last_said=date(2026, 11, 24)) == date(
        2026, 11, 25
    )


def test_a_good_day_after_hard_ones_is_not_met_with_worry() -> None:
    checkins = [(at(21), LOW), (at(22), LOW), (at(23), LOW), (at(24), FINE)]
    assert risk_building(checkins, now=at(24), zone=NY, last_said=None) is None


def test_days_are_the_patients_own_calendar_days() -> None:
    # 03:00 UTC on the 24th is still the evening of the 23rd in New York.
    late_evening = at(24, 3)
    assert local_date(late_evening, NY) == date(2026, 11, 23)
    assert local_date(late_evening, ZoneInfo("UTC")) == date(2026, 11, 24)
    # Three check-ins on three UTC days, but only two New York days: the 22nd twice.
    checkins = [(at(22, 15), LOW), (at(23, 3), LOW), (at(24, 15), LOW)]
    assert risk_building(checkins, now=at(24, 15), zone=NY, last_said=None) is None
    assert risk_building(checkins, now=at(24, 15), zone=ZoneInfo("UTC"), last_said=None) is not None
    # In Tokyo the same moments fall on three different days.
    tokyo = ZoneInfo("Asia/Tokyo")
    spread = [(at(22, 20), LOW), (at(23, 20), LOW), (at(24, 20), LOW)]
    assert risk_building(spread, now=at(24, 20), zone=tokyo, last_said=None) == date(2026, 11, 25)


def test_naive_times_are_read_as_utc_and_unknown_zones_fall_back() -> None:
    naive = datetime(2026, 11, 24, 3)
    assert local_date(naive, NY) == date(2026, 11, 23)
    assert zone_of(None, "America/Chicago") == ZoneInfo("America/Chicago")
    assert zone_of("Not/AZone", "America/Chicago") == ZoneInfo("America/Chicago")
    assert zone_of("Europe/Berlin", "America/Chicago") == ZoneInfo("Europe/Berlin")
