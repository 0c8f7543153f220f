"""Settings from the environment and ``.env``, checked once at start.

An operator who mistypes a setting gets its name and what to write instead; the bot
token is a SecretStr so it is never printed, not even in an error. Every failure at start
is one sentence and a distinct exit status (``ExitCode``), never a traceback.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/coach.sqlite3"
TELEGRAM_API = "https://api.telegram.org/bot"
_PLACEHOLDER_TOKENS = {"", "123456:replace-me", "changeme", "your-token-here"}

_HINTS = {
    "TELEGRAM_BOT_TOKEN": "the token BotFather gave you, like 123456789:AAE...",
    "TELEGRAM_API_BASE_URL": f"an http(s) URL ending in /bot, like {TELEGRAM_API}",
    "DATABASE_URL": f"{DEFAULT_DATABASE_URL} or postgresql+asyncpg://user:password@host/dbname",
    "BOOKING_URL": "the practice's booking page, starting with https://",
    "FLOWS_DIR": "a folder of flow files, like flows",
    "CONTENT_DIR": "a folder of texts, like content",
    "DEFAULT_TIMEZONE": "an IANA time zone name, like America/New_York",
    "WEBHOOK_URL": "the public https URL Telegram posts to, like https://coach.example.org/telegram",
    "WEBHOOK_LISTEN": "the address the webhook server binds, like 127.0.0.1",
    "WEBHOOK_PORT": "the port the webhook server listens on, like 8443",
    "WEBHOOK_SECRET": "1-256 characters of A-Z, a-z, 0-9, _ and -",
    "ONCALL_CHAT_ID": "the Telegram chat id of the on-call chat, like -1001234567890, or nothing",
    "ONCALL_QUIET_MINUTES": "whole minutes from 1 to 1440, like 15",
    "ONCALL_MAX_PER_MINUTE": "a whole number from 1 to 30, like 5",
    "REMINDER_GRACE_MINUTES": "how late (minutes) a missed reminder may still be sent, like 120",
    "REMINDER_INTERVAL_SECONDS": "how often (seconds) due reminders are looked for, like 15",
    "ADMIN_IDS": "Telegram user ids separated by commas, like 123456789,987654321, or nothing",
    "DATA_ENCRYPTION_KEY": "a key made as README.md, 'Encryption at rest', says, or nothing",
    "DATA_ENCRYPTION_KEY_OLD": "the previous key(s), separated by commas, or nothing",
    "RETENTION_MONTHS": "whole months from 1 to 1200, like 24, or nothing to keep everything",
    "PORTAL_URL": "the portal's public https address behind the practice's proxy, like https://portal.example.org",
    "PORTAL_HOST": "the address the portal binds, like 127.0.0.1",
    "PORTAL_PORT": "the port the portal listens on, like 8080",
    "PORTAL_NO_CHECKIN_DAYS": "whole days from 1 to 60, like 3",
    "PORTAL_SESSION_MINUTES": "whole minutes from 5 to 720, like 30",
    "PORTAL_INVITATION_DAYS": "whole days from 1 to 30, like 7",
    "TELEGRAM_BOT_USERNAME": "the bot's username without the @, like practice_coach_bot",
    "PRACTICE_PHONE": "the practice's daytime phone number, like (555) 010-0100, or nothing",
    "PRACTICE_PHONE_AFTER_HOURS": "the practice's after-hours number, like 555-010-0199, or nothing",
}
#: What a phone number setting may hold: digits and the marks people write between them.
_PHONE_CHARACTERS = frozenset("0123456789 +-().")


class ExitCode(IntEnum):
    """The exit status of ``coach``: one per kind of failure, for supervisors and scripts."""

    OK = 0
    PROBLEMS = 1  # flows or texts with problems (each listed as file:line)
    SETTINGS = 2  # a setting missing or malformed
    BOT_API_UNREACHABLE = 3
    TOKEN_REJECTED = 4
    DATABASE = 5  # unreachable, or read-only
    FILES_NOT_FOUND = 6  # content/ or flows/ not where the settings say
    ENCRYPTION_KEY = 7  # DATA_ENCRYPTION_KEY malformed, or it cannot open the stored data
    ALREADY_POLLING = 8  # another process polls Telegram for the same bot
    UNEXPECTED = 70


class StartupError(Exception):
    """Start-up failed for a reason the operator can fix: one sentence, one exit status."""

    def __init__(self, sentence: str, code: ExitCode) -> None:
        super().__init__(sentence)
        self.code = code


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message names each one."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API
    database_url: str = DEFAULT_DATABASE_URL
    booking_url: str | None = None
    flows_dir: Path = Path("flows")
    content_dir: Path = Path("content")
    default_timezone: str = "America/New_York"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        """``123,456``, ``[123, 456]`` or nothing: Telegram user ids."""
        if not isinstance(value, str):
            return value
        ids = []
        for part in value.strip().strip("[]").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit() or not part.isascii():
                raise ValueError(f"{part[:20]!r} is not a Telegram user id")
            ids.append(int(part))
        return ids

    # `coach run --webhook`: Telegram posts updates to webhook_url (public, https); the bot
    # listens on webhook_listen:webhook_port (usually behind a reverse proxy) and refuses
    # requests without webhook_secret in X-Telegram-Bot-Api-Secret-Token.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    # /healthz and /metrics (Prometheus) on metrics_listen:metrics_port, in polling and in
    # webhook mode alike; unset: not served. Keep it off the public internet.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_listen: str = "127.0.0.1"
    # Crisis notices to the practice's on-call chat (only for patients who agreed at
    # onboarding). One notice per patient per quiet window; at most oncall_max_per_minute
    # notices a minute from this process, the rest summarised in one message.
    oncall_chat_id: int | None = None
    oncall_quiet_minutes: int = Field(default=15, ge=1, le=1440)
    oncall_max_per_minute: int = Field(default=5, ge=1, le=30)

    @field_validator("oncall_chat_id", mode="before")
    @classmethod
    def _oncall_chat(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    # Daily check-in reminders (bot.reminders): one missed while the bot was down is still
    # sent when it comes back if it is at most this late; later ones are skipped.
    reminder_grace_minutes: int = Field(default=120, ge=0, le=24 * 60)
    reminder_interval_seconds: float = Field(default=15.0, gt=0, le=3600)

    # Encryption at rest (bot.db.crypto, README "Encryption at rest"): the key new values are
    # sealed with, and earlier keys (comma-separated) that only open values during a rotation.
    data_encryption_key: SecretStr | None = None
    data_encryption_key_old: SecretStr | None = None
    # Retention (bot.coach.retention): journal entries older than this many months, and
    # patients not seen for as long, are removed at start and daily. None keeps everything.
    retention_months: int | None = Field(default=None, ge=1, le=1200)
    # A crisis answered while the database was away: its safety event waits here, on disk,
    # until the database answers (bot.coach.safety_spool). Every process on one machine
    # may share it.
    safety_spool_dir: Path = Path("data/spool")
    # What every process of one bot shares to seal an unconsented chat's place and a spooled
    # safety event (bot.coach.passing, bot.coach.safety_spool); the bot's token without it.
    # coach_secret_old: earlier secrets (comma-separated) that still open what they sealed.
    coach_secret: SecretStr | None = None
    coach_secret_old: SecretStr | None = None

    @field_validator("retention_months", mode="before")
    @classmethod
    def _retention(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    # The clinician portal (`coach portal`, `coach run --with-portal`; docs/portal.md). Its
    # links (set-up, invitations, the on-call notice) start with portal_url.
    portal_url: str | None = None
    portal_host: str = "127.0.0.1"
    portal_port: int = Field(default=8080, ge=1, le=65535)
    portal_no_checkin_days: int = Field(default=3, ge=1, le=60)
    portal_session_minutes: int = Field(default=30, ge=5, le=720)
    portal_invitation_days: int = Field(default=7, ge=1, le=30)
    # Addresses of the proxies whose X-Forwarded-For is believed (comma-separated, or *):
    # the log-in limit per address counts each clinician's own address, not the proxy's,
    # only when the proxy is listed here.
    portal_trusted_proxies: str = "127.0.0.1"
    telegram_bot_username: str | None = None

    # The practice's own numbers, shown in every patient's safety plan (part 5) and so in
    # /sos's plan; unset: the plan just says "Your practice".
    practice_phone: str | None = None
    practice_phone_after_hours: str | None = None

    @field_validator("practice_phone", "practice_phone_after_hours", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        number = " ".join(value.split())
        if number == "":
            return None
        digits = sum(c.isdigit() for c in number)
        if not set(number) <= _PHONE_CHARACTERS or not 3 <= digits <= 15 or len(number) > 30:
            raise ValueError(
                "is not a phone number (3 to 15 digits, with only spaces and + - ( ) . between)"
            )
        return number

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        secret = value.get_secret_value()
        if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ValueError("may only hold 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if value.strip() == "":
            raise ValueError("is empty; remove the line to use Telegram's own")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("booking_url", "webhook_url", "portal_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("is not a database URL") from exc
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(f"uses the driver {url.drivername!r}; the coach needs an async one")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"{value!r} is not a known time zone") from exc
        return value

    def bot_token(self) -> str:
        """The token, for building the bot; refuses a missing or placeholder token."""
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""
        if token.strip() in _PLACEHOLDER_TOKENS:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram and "
                f"put TELEGRAM_BOT_TOKEN=<{_HINTS['TELEGRAM_BOT_TOKEN']}> in .env"
            )
        if ":" not in token:
            raise SettingsError(
                f"TELEGRAM_BOT_TOKEN does not look like a bot token; write {_HINTS['TELEGRAM_BOT_TOKEN']}"
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Read the settings; turn pydantic's errors into one line per setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SourceError as exc:  # a value pydantic-settings could not even decode
        name = next((n for n in _HINTS if f'"{n.lower()}"' in str(exc)), "SETTINGS")
        raise SettingsError(
            f"{name}: could not be read; write {_HINTS.get(name, 'a valid value')}"
        ) from None
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            reason = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {reason}; write {_HINTS.get(name, 'a valid value')}")
        raise SettingsError("\n".join(lines)) from None


def example_booking_url(settings: Settings) -> bool:
    """Is BOOKING_URL still the placeholder of .env.example (a link that goes nowhere)?"""
    from urllib.parse import urlparse

    host = urlparse(settings.booking_url or "").hostname or ""
    return host in ("example.org", "example.com", "example.net") or host.endswith(
        (".example.org", ".example.com", ".example.net")
    )
