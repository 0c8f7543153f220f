"""Every button token is encoded and parsed in bot.shared.tokens, in the stored format."""

from __future__ import annotations

import pytest

from bot.shared import tokens
from bot.shared.tokens import Answer, AskedAnswer, OpenFlow, SystemAction, SystemButton, Unknown


@pytest.mark.parametrize(
    ("token", "raw"),
    [
        (Answer(3, "v7"), "3:v7"),
        (Answer(12, "tz2"), "12:tz2"),
        (OpenFlow("checkin"), "flow:checkin"),
        (SystemAction("menu"), "sys:menu"),
        (AskedAnswer(True, "concern"), "sys:asked_yes:concern"),
        (AskedAnswer(False, "concern"), "sys:asked_no:concern"),
        (Unknown("something-old"), "something-old"),
    ],
)
def test_tokens_round_trip_in_the_format_buttons_already_carry(
    token: tokens.Token, raw: str
) -> None:
    assert tokens.encode(token) == raw
    assert tokens.parse(raw) == token


def test_system_buttons_encode_as_their_action() -> None:
    assert tokens.encode(SystemButton.DELETE_EVERYTHING) == "sys:delete_everything"
    assert tokens.parse("sys:sos") == SystemAction("sos")
    assert SystemAction("sos").button is SystemButton.SOS
    assert SystemAction("gone").button is None  # an old button: stale, never an error


def test_an_asked_token_without_its_category_separator_is_a_plain_system_action() -> None:
    assert tokens.parse("sys:asked_yes") == SystemAction("asked_yes")
    assert tokens.parse("sys:asked_yes:") == AskedAnswer(True, "")
