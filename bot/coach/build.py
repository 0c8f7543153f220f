"""Build the parts of the coach from settings: nothing happens at import time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from bot.coach.current import CurrentEngine
from bot.coach.encryption import prepare_encryption
from bot.coach.safety_spool import SafetySpool
from bot.coach.service import CoachService
from bot.config import ExitCode, Settings, StartupError
from bot.db.crypto import SharedSecret
from bot.db.migrate import check_writable, upgrade_to_head
from bot.db.session import Database, describe
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary, load_library

#: Seconds the start-up check that the database can be written may take.
DATABASE_CHECK_TIMEOUT = 15.0


def build_library(settings: Settings) -> FlowLibrary:
    return load_library(Path(settings.flows_dir), Path(settings.content_dir))


def build_engine(settings: Settings, library: FlowLibrary) -> Engine:
    from bot.coach.screening import CrisisScreener  # reads content/crisis.yaml: only when built
    from bot.safety.intents import INTENTS_FILE, load_intents

    screener = CrisisScreener.from_content(Path(settings.content_dir), settings.booking_url)
    # With the portal, sharing crisis events is the consent to a notice (no name, no kind):
    # onboarding does not ask the on-call question then.
    asks_oncall = settings.oncall_chat_id is not None and settings.portal_url is None
    facts = {"coach_oncall": "yes" if asks_oncall else "no"}
    intents_file = Path(settings.content_dir) / INTENTS_FILE
    # Offers are checked by `coach validate` and before start; here a flow that did not
    # load is simply not offered.
    intents = load_intents(intents_file, None) if intents_file.exists() else None
    return Engine(
        library,
        screener=screener,
        booking_url=settings.booking_url,
        coach_facts=facts,
        intents=intents,
        practice_phone=settings.practice_phone,
        practice_phone_after_hours=settings.practice_phone_after_hours,
    )


async def open_database(settings: Settings) -> Database:
    """The database, migrated and proven writable; one sentence (exit 5) when it is not."""
    database: Database | None = None
    try:
        database = Database(settings.database_url)
        await upgrade_to_head(database)
        await database.transaction(check_writable, timeout=DATABASE_CHECK_TIMEOUT)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        if database is not None:
            await database.dispose()
        raise StartupError(
            f"The database {describe(settings.database_url)} could not be opened and written "
            f"({type(exc).__name__}); check DATABASE_URL, that the server is running, and that "
            "the file and its folder are writable.",
            ExitCode.DATABASE,
        ) from None
    return database


@dataclass
class Coach:
    """Everything a channel needs, built and migrated. ``current`` holds the engine."""

    current: CurrentEngine
    database: Database
    service: CoachService

    @property
    def engine(self) -> Engine:
        return self.current.engine

    async def close(self) -> None:
        await self.service.close()
        await self.database.dispose()


async def build_coach(
    settings: Settings,
    channel: str,
    library: FlowLibrary | None = None,
    *,
    assume_consent: bool = False,
) -> Coach:
    """``assume_consent``: store every chat as if it had said yes at /start (`coach chat`,
    the clinician trying flows on their own machine); see CoachService."""
    library = library or build_library(settings)
    current = CurrentEngine(build_engine(settings, library))
    database = await open_database(settings)
    try:
        await prepare_encryption(settings, database)
    except BaseException:
        await database.dispose()
        raise
    quiet = (
        timedelta(minutes=settings.oncall_quiet_minutes)
        if settings.oncall_chat_id is not None
        else None
    )
    service = CoachService(
        current,
        database,
        channel,
        oncall_quiet=quiet,
        default_timezone=settings.default_timezone,
        assume_consent=assume_consent,
        passing_secret=shared_secret(settings),
        spool=SafetySpool(settings.safety_spool_dir, shared_secret(settings)),
        portal_alerts=settings.portal_url is not None,
    )
    return Coach(current, database, service)


def shared_secret(settings: Settings) -> SharedSecret | None:
    """What every process of one bot shares to name and seal unconsented chats' places
    and spooled safety events: ``COACH_SECRET``, else its token, neither ever stored.
    Earlier secrets still open what they sealed: ``COACH_SECRET_OLD``, and the token once
    a dedicated secret is set, so setting one loses nothing. None without either
    (`coach chat`, which stores every chat as agreed)."""
    token = _plain(settings.telegram_bot_token)
    dedicated = _plain(settings.coach_secret)
    current = dedicated or token
    if current is None:
        return None
    old_text = _plain(settings.coach_secret_old) or ""
    old = [part.strip().encode("utf-8") for part in old_text.split(",") if part.strip()]
    if dedicated is not None and token is not None:
        old.append(token.encode("utf-8"))
    current_bytes = current.encode("utf-8")
    return SharedSecret(current_bytes, tuple(dict.fromkeys(o for o in old if o != current_bytes)))


def _plain(secret: SecretStr | None) -> str | None:
    value = secret.get_secret_value() if secret is not None else ""
    return value if value.strip() else None
