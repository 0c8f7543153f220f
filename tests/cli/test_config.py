from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import SettingsError, load_settings


def test_defaults_need_nothing_installed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("DATABASE_URL", "mysql://x", "postgresql+asyncpg://"),
        ("DATABASE_URL", "not a url", "sqlite+aiosqlite:///"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "America/New_York"),
        ("BOOKING_URL", "www.example.org", "https://"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "/bot"),
    ],
)
def test_malformed_settings_are_named_with_a_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path, name: str, value: str, hint: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{name}:") and hint in str(caught.value)


def test_token_is_never_printed(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:very-secret-token")
    monkeypatch.setenv("DATABASE_URL", "mysql://broken")
    assert main(["validate"]) == 2
    settings = load_settings(database_url="sqlite+aiosqlite:///x.db")
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings.model_dump())
    assert "very-secret" not in capsys.readouterr().err


def test_missing_token_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="BotFather"):
        load_settings().bot_token()


def test_oncall_settings_default_off_and_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONCALL_CHAT_ID", "")
    settings = load_settings()
    assert settings.oncall_chat_id is None
    assert (settings.oncall_quiet_minutes, settings.oncall_max_per_minute) == (15, 5)
    monkeypatch.setenv("ONCALL_CHAT_ID", "-1001234567890")
    assert load_settings().oncall_chat_id == -1001234567890
    for name, value in (
        ("ONCALL_CHAT_ID", "@oncall"),
        ("ONCALL_QUIET_MINUTES", "0"),
        ("ONCALL_MAX_PER_MINUTE", "x"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError) as caught:
            load_settings()
        assert f"{name}:" in str(caught.value)
        monkeypatch.delenv(name)
