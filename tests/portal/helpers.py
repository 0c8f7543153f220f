"""Helpers for the portal's tests: a patient who agreed to the coach and shares, clinicians
ready to sign in, a real uvicorn server, and signing in over HTTP."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import uvicorn
from sqlalchemy.engine import Connection
from starlette.applications import Starlette

from bot.coach.service import CoachService, Reply
from bot.coach.sharing import code_hash
from bot.db import clinicians, sharing, store
from bot.db.models import utcnow
from bot.db.session import Database
from bot.portal.auth import hash_password, new_secret_token, token_hash
from bot.portal.server import _InsideServer
from bot.shared.messages import Inbound

PASSWORD = "correct horse battery staple"


def button_token(reply: Reply, label: str) -> str:
    for message in reversed(reply.messages):
        for row in message.buttons:
            for button in row:
                if button.label == label and button.token:
                    return button.token
    labels = [b.label for m in reply.messages for row in m.buttons for b in row]
    raise AssertionError(f"no button {label!r} among {labels}")


async def press(service: CoachService, who: str, reply: Reply, label: str) -> Reply:
    return await service.handle(who, Inbound.press(button_token(reply, label)))


async def onboard(service: CoachService, who: str, name: str = "Sam") -> None:
    """/start and the whole onboarding by buttons: consent yes, a name, a zone, no check-ins."""
    reply = await service.handle(who, Inbound.message("/start"))
    reply = await press(service, who, reply, "Okay, go on")
    reply = await press(service, who, reply, "Yes")
    reply = await service.handle(who, Inbound.message(name))
    reply = await press(service, who, reply, "Central")
    reply = await press(service, who, reply, "No")
    assert "/sos" in " ".join(m.text for m in reply.messages)


async def invitation(
    database: Database, label: str, *, expires_in: timedelta = timedelta(days=7)
) -> str:
    """An invitation as the portal makes it; the code the patient's link carries."""
    code = new_secret_token()[:24]
    await database.transaction(
        lambda c: sharing.add_invitation(
            c,
            code_hash=code_hash(code),
            label=label,
            created_by=None,
            expires_at=utcnow() + expires_in,
        )
    )
    return code


async def sharing_patient(
    service: CoachService, who: str, label: str, choice: str = "Share those and my journal"
) -> int:
    """A patient who agreed to the coach, opened an invitation and chose to share; the
    share's id."""
    await onboard(service, who)
    code = await invitation(service.database, label)
    reply = await service.handle(who, Inbound.message(f"/start {code}"))
    await press(service, who, reply, choice)
    patient = await service.database.transaction(
        lambda c: sharing.active_share(
            c,
            patient_id=_patient_id(c, service.channel, who),
        )
    )
    assert patient is not None
    return patient.id


def _patient_id(connection: Connection, channel: str, who: str) -> int:
    found = store.find_patient(connection, channel=channel, external_id=who)
    assert found is not None
    return found.id


async def ready_clinician(database: Database, email: str, *, admin: bool = False) -> str:
    """A clinician who finished set-up; their TOTP secret."""
    secret = pyotp.random_base32()
    hashed = hash_password(PASSWORD)

    def add(connection: Connection) -> None:
        cid = clinicians.add_clinician(
            connection,
            email=email,
            is_admin=admin,
            setup_token_hash=token_hash(new_secret_token()),
            setup_expires_at=utcnow() + timedelta(hours=1),
        )
        clinicians.save_pending_setup(
            connection,
            clinician_id=cid,
            password_hash=hashed,
            totp_secret=secret,
        )
        clinicians.finish_setup(connection, clinician_id=cid, totp_step=0)

    await database.transaction(add)
    return secret


def codes(secret: str) -> list[str]:
    """Three codes the portal accepts one after another (each code opens one log-in).

    Never taken in a window's last seconds: the earliest code would then expire before a
    log-in that follows (an argon2 check takes a moment) reaches the portal."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < 5:
        time.sleep(left + 0.05)
    now = datetime.now(UTC)
    return [totp.at(now + timedelta(seconds=30 * k)) for k in (-1, 0, 1)]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, code: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "code": code, "csrf": csrf_of(page.text)},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(app: Starlette, port: int | None = None) -> AsyncIterator[str]:
    """``app`` on a real uvicorn server (on a free port unless given); its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = _InsideServer(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
