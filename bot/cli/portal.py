"""``coach portal`` and ``coach clinician add|reset EMAIL``: the practice's web portal.

A new clinician gets a one-time set-up link (valid ``SETUP_HOURS``) to pass on in person
or by the practice's own email; the link is printed once and stored only as a hash.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import ExitCode, Settings, StartupError

if TYPE_CHECKING:  # bot.tg imports telegram: only for the type
    from bot.tg.companion import Companion

__all__ = ["add_parsers"]

SETUP_HOURS = 72
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    portal = sub.add_parser("portal", help="run the clinician portal (PORTAL_HOST:PORTAL_PORT)")
    portal.add_argument("--verbose", action="store_true")
    portal.set_defaults(handler=run_portal)
    clinician = sub.add_parser("clinician", help="portal accounts: clinician add|reset EMAIL")
    actions = clinician.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a clinician; prints their one-time set-up link")
    add.add_argument("email")
    add.add_argument("--admin", action="store_true", help="may read and export the audit trail")
    add.set_defaults(handler=clinician_command)
    reset = actions.add_parser(
        "reset", help="a new set-up link (lost phone or password); the old ones stop working"
    )
    reset.add_argument("email")
    reset.set_defaults(handler=clinician_command, admin=False)


def companions(args: argparse.Namespace, settings: Settings) -> list[Companion]:
    """What runs beside the bot in its process: the portal, with ``--with-portal``."""
    if not getattr(args, "with_portal", False):
        return []
    from bot.portal.server import PortalServer

    if not settings.portal_url:
        print(_no_url_warning(settings), file=sys.stderr)
    return [PortalServer(settings, inside=True)]


def run_portal(args: argparse.Namespace, settings: Settings) -> int:
    from bot.portal.server import serve_portal

    if not settings.portal_url:
        print(_no_url_warning(settings), file=sys.stderr)
    return serve_portal(settings)


def _base_url(settings: Settings) -> str:
    return (settings.portal_url or f"http://{settings.portal_host}:{settings.portal_port}").rstrip(
        "/"
    )


def _no_url_warning(settings: Settings) -> str:
    return (
        "Warning: PORTAL_URL is not set; links use "
        f"{_base_url(settings)}. Set PORTAL_URL to the portal's https address behind the "
        "practice's proxy."
    )


def clinician_command(args: argparse.Namespace, settings: Settings) -> int:
    email = str(args.email).strip().lower()
    if not _EMAIL.match(email):
        print(
            f"{args.email!r} does not look like an email address; write name@practice.org.",
            file=sys.stderr,
        )
        return ExitCode.SETTINGS
    token = asyncio.run(_store_setup(settings, email, args.action, bool(args.admin)))
    if token is None:
        sentence = (
            f"There is already a clinician {email}; `coach clinician reset {email}` makes a new set-up link."
            if args.action == "add"
            else f"There is no clinician {email}; `coach clinician add {email}` adds one."
        )
        print(sentence, file=sys.stderr)
        return 1
    if not settings.portal_url:
        print(_no_url_warning(settings), file=sys.stderr)
    print(f"Set-up link for {email} (works once, for {SETUP_HOURS} hours):")
    print(f"{_base_url(settings)}/setup/{token}")
    return 0


async def _store_setup(settings: Settings, email: str, action: str, admin: bool) -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import clinicians
    from bot.db.alerts import add_audit
    from bot.db.migrate import upgrade_to_head
    from bot.db.models import utcnow
    from bot.db.session import Database, describe
    from bot.portal.auth import new_secret_token, token_hash

    token = new_secret_token()
    expires = utcnow() + timedelta(hours=SETUP_HOURS)
    database = Database(settings.database_url)

    def store(connection: object) -> bool:
        from sqlalchemy.engine import Connection

        assert isinstance(connection, Connection)
        if action == "add":
            try:
                clinicians.add_clinician(
                    connection,
                    email=email,
                    is_admin=admin,
                    setup_token_hash=token_hash(token),
                    setup_expires_at=expires,
                )
            except clinicians.EmailTaken:
                return False
        elif not clinicians.reset_setup(
            connection, email=email, setup_token_hash=token_hash(token), setup_expires_at=expires
        ):
            return False
        add_audit(
            connection, actor="command line", action=f"clinician.{action}", detail=email[:200]
        )
        return True

    try:
        await upgrade_to_head(database)
        done = await database.transaction(store)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise StartupError(
            f"The database {describe(settings.database_url)} could not be opened "
            f"({type(exc).__name__}); check DATABASE_URL and that the server is running.",
            ExitCode.DATABASE,
        ) from None
    finally:
        await database.dispose()
    return token if done else None
