"""Clinician accounts and their portal sessions: plain rows in, plain values out.

Secrets are never stored as given: set-up tokens and session ids only as SHA-256 hashes
(``bot.portal.auth`` makes them), passwords only as argon2 hashes. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db.models import Clinician, PortalSession, as_utc, utcnow

__all__ = [
    "ClinicianRecord",
    "EmailTaken",
    "SessionRecord",
    "add_clinician",
    "clinician_by_email",
    "clinician_by_id",
    "clinician_by_setup_token",
    "clinician_emails",
    "delete_session",
    "finish_setup",
    "record_login_failure",
    "record_login_success",
    "reset_setup",
    "save_pending_setup",
    "session_by_hash",
    "start_session",
    "touch_session",
]


class EmailTaken(Exception):
    """A clinician with this email already exists."""


@dataclass(frozen=True)
class ClinicianRecord:
    id: int
    email: str
    is_admin: bool
    password_hash: str | None
    totp_secret: str | None
    totp_confirmed: bool
    setup_expires_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    last_totp_step: int

    @property
    def ready(self) -> bool:
        """Set-up finished: a password and a confirmed second factor."""
        return self.password_hash is not None and self.totp_confirmed


_COLUMNS = (
    Clinician.id,
    Clinician.email,
    Clinician.is_admin,
    Clinician.password_hash,
    Clinician.totp_secret,
    Clinician.totp_confirmed,
    Clinician.setup_expires_at,
    Clinician.failed_logins,
    Clinician.locked_until,
    Clinician.last_totp_step,
)


def _record(row: Sequence[Any]) -> ClinicianRecord:
    values = list(row)
    for index in (6, 8):
        if values[index] is not None:
            values[index] = as_utc(values[index])
    return ClinicianRecord(*values)


def add_clinician(
    connection: Connection,
    *,
    email: str,
    is_admin: bool,
    setup_token_hash: str,
    setup_expires_at: datetime,
) -> int:
    """A new clinician who has yet to set a password and second factor."""
    try:
        with connection.begin_nested():
            result = connection.execute(
                insert(Clinician)
                .values(
                    email=email,
                    is_admin=is_admin,
                    setup_token_hash=setup_token_hash,
                    setup_expires_at=setup_expires_at,
                    created_at=utcnow(),
                )
                .returning(Clinician.id)
            )
            return int(result.scalar_one())
    except IntegrityError:
        raise EmailTaken(email) from None


def reset_setup(
    connection: Connection, *, email: str, setup_token_hash: str, setup_expires_at: datetime
) -> bool:
    """A new set-up link (a lost phone, a forgotten password): the old password and second
    factor stop working at once, and every session of the account ends."""
    result = connection.execute(
        update(Clinician)
        .where(Clinician.email == email)
        .values(
            password_hash=None,
            totp_secret=None,
            totp_confirmed=False,
            setup_token_hash=setup_token_hash,
            setup_expires_at=setup_expires_at,
            failed_logins=0,
            locked_until=None,
        )
        .returning(Clinician.id)
    )
    found = result.scalar_one_or_none()
    if found is None:
        return False
    connection.execute(delete(PortalSession).where(PortalSession.clinician_id == found))
    return True


def clinician_by_email(connection: Connection, email: str) -> ClinicianRecord | None:
    row = connection.execute(select(*_COLUMNS).where(Clinician.email == email)).first()
    return _record(row) if row else None


def clinician_by_id(connection: Connection, clinician_id: int) -> ClinicianRecord | None:
    row = connection.execute(select(*_COLUMNS).where(Clinician.id == clinician_id)).first()
    return _record(row) if row else None


def clinician_emails(connection: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = connection.execute(select(Clinician.id, Clinician.email).where(Clinician.id.in_(ids)))
    return {int(i): str(e) for i, e in rows}


def clinician_by_setup_token(connection: Connection, token_hash: str) -> ClinicianRecord | None:
    row = connection.execute(
        select(*_COLUMNS).where(Clinician.setup_token_hash == token_hash)
    ).first()
    return _record(row) if row else None


def save_pending_setup(
    connection: Connection, *, clinician_id: int, password_hash: str, totp_secret: str
) -> None:
    """The password is chosen; the second factor waits for its first code."""
    connection.execute(
        update(Clinician)
        .where(Clinician.id == clinician_id)
        .values(password_hash=password_hash, totp_secret=totp_secret, totp_confirmed=False)
    )


def finish_setup(connection: Connection, *, clinician_id: int, totp_step: int) -> None:
    """The first code matched: the account is ready and the set-up link is spent."""
    connection.execute(
        update(Clinician)
        .where(Clinician.id == clinician_id)
        .values(
            totp_confirmed=True,
            setup_token_hash=None,
            setup_expires_at=None,
            last_totp_step=totp_step,
        )
    )


def record_login_failure(
    connection: Connection, *, clinician_id: int, locked_until: datetime | None
) -> None:
    connection.execute(
        update(Clinician)
        .where(Clinician.id == clinician_id)
        .values(failed_logins=Clinician.failed_logins + 1, locked_until=locked_until)
    )


def record_login_success(connection: Connection, *, clinician_id: int, totp_step: int) -> None:
    """Reset the failures and remember the code's time step, so a code works only once."""
    connection.execute(
        update(Clinician)
        .where(Clinician.id == clinician_id)
        .values(failed_logins=0, locked_until=None, last_totp_step=totp_step)
    )


@dataclass(frozen=True)
class SessionRecord:
    clinician_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def start_session(
    connection: Connection, *, id_hash: str, clinician_id: int, csrf_token: str
) -> None:
    now = utcnow()
    connection.execute(
        insert(PortalSession).values(
            id_hash=id_hash,
            clinician_id=clinician_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )


def session_by_hash(connection: Connection, id_hash: str) -> SessionRecord | None:
    row = connection.execute(
        select(
            PortalSession.clinician_id,
            PortalSession.csrf_token,
            PortalSession.created_at,
            PortalSession.last_seen_at,
        ).where(PortalSession.id_hash == id_hash)
    ).first()
    if row is None:
        return None
    return SessionRecord(int(row[0]), str(row[1]), as_utc(row[2]), as_utc(row[3]))


def touch_session(connection: Connection, id_hash: str) -> None:
    connection.execute(
        update(PortalSession).where(PortalSession.id_hash == id_hash).values(last_seen_at=utcnow())
    )


def delete_session(connection: Connection, id_hash: str) -> None:
    connection.execute(delete(PortalSession).where(PortalSession.id_hash == id_hash))
