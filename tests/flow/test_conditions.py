from __future__ import annotations

import pytest

from bot.flow.conditions import ConditionError, parse_condition


@pytest.mark.parametrize(
    ("source", "variables", "expected"),
    [
        ("intensity >= 8", {"intensity": 8}, True),
        ("intensity >= 8", {"intensity": 7}, False),
        ("intensity >= 8", {}, False),
        ("emotion in [anxious, angry]", {"emotion": "angry"}, True),
        ("emotion not in [anxious, angry]", {"emotion": "low"}, True),
        ("emotion not in [anxious, angry]", {}, False),
        ("halt contains lonely", {"halt": ["tired", "lonely"]}, True),
        ("note is set", {"note": ""}, False),
        ("note is not set", {}, True),
        ("a > 1 and (b == yes or not c <= 2)", {"a": 2, "b": "no", "c": 5}, True),
        ("mood <= 2.5", {"mood": 2}, True),
        ("mood == low", {"mood": 3}, False),
    ],
)
def test_conditions_evaluate(source: str, variables: dict, expected: bool) -> None:  # type: ignore[type-arg]
    assert parse_condition(source)(variables) is expected


@pytest.mark.parametrize(
    "source", ["", "x = 1", "x >=", "x in a", "(x > 1", "__import__('os')", "x > 1 y"]
)
def test_bad_conditions_are_refused_not_evaluated(source: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(source)
