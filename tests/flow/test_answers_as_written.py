"""Numbers as people write them: "80%", "about 80", "8/10"; ambiguous ones are asked again."""

from __future__ import annotations

import pytest

from bot.flow.answers import NotAnAnswer, parse_number


@pytest.mark.parametrize(
    "typed",
    ["80%", "80 %", "about 80", "around 80", "About 80%.", "~80", "80 percent", "roughly 80"],
)
def test_a_percentage_question_reads_the_ways_people_write_80(typed: str) -> None:
    assert parse_number(typed, 0, 100, whole=False) == 80


@pytest.mark.parametrize(("typed", "value"), [("8/10", 8), ("8 out of 10", 8), ("80/100", 8)])
def test_a_0_to_10_scale_reads_a_fraction(typed: str, value: int) -> None:
    assert parse_number(typed, 0, 10, whole=True) == value


def test_a_fraction_of_ten_on_a_percentage_question_is_read_as_a_percentage() -> None:
    assert parse_number("8/10", 0, 100, whole=False) == 80


@pytest.mark.parametrize("typed", ["1,5", "1_0", "about", "80%%", "about 1,5"])
def test_what_could_mean_two_things_is_asked_again(typed: str) -> None:
    with pytest.raises(NotAnAnswer) as raised:
        parse_number(typed, 0, 100, whole=False)
    assert raised.value.key == "system.retry_number"


def test_a_fraction_of_another_scale_is_asked_again_with_the_range() -> None:
    with pytest.raises(NotAnAnswer) as raised:
        parse_number("4/10", 1, 5, whole=True)  # 4, or 2 of 5?
    assert raised.value.key == "system.retry_range"


def test_a_percentage_beyond_a_0_to_10_scale_is_asked_again_with_the_range() -> None:
    with pytest.raises(NotAnAnswer) as raised:
        parse_number("80%", 0, 10, whole=True)
    assert raised.value.key == "system.retry_range"
