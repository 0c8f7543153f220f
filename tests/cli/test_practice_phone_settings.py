"""PRACTICE_PHONE and PRACTICE_PHONE_AFTER_HOURS: optional, tidied, and refused by name
with what to write when they are not a phone number."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings


def test_unset_or_empty_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().practice_phone is None
    monkeypatch.setenv("PRACTICE_PHONE_AFTER_HOURS", "  ")
    assert load_settings().practice_phone_after_hours is None


def test_a_number_is_kept_with_its_spaces_tidied(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRACTICE_PHONE", " (555)  010-0100 ")
    monkeypatch.setenv("PRACTICE_PHONE_AFTER_HOURS", "+1 555.010.0199")
    settings = load_settings()
    assert settings.practice_phone == "(555) 010-0100"
    assert settings.practice_phone_after_hours == "+1 555.010.0199"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRACTICE_PHONE", "call reception"),
        ("PRACTICE_PHONE", "12"),
        ("PRACTICE_PHONE_AFTER_HOURS", "555-0100 <b>"),
        ("PRACTICE_PHONE_AFTER_HOURS", "1" * 16),
    ],
)
def test_what_is_not_a_phone_number_is_named_with_a_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}: is not a phone number")
    assert "; write the practice's" in message and "or nothing" in message
    assert "\n" not in message
