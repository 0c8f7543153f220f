"""What every portal page shares: the running state, templates, the signed-in check, CSRF.

A request is signed in when its cookie's session row exists, is younger than
``ABSOLUTE_HOURS`` and was seen within the idle limit (PORTAL_SESSION_MINUTES). Pages
that need a clinician are wrapped in ``signed_in_page`` (``admin_page`` for admins): a GET
without a session goes to the log-in page, anything else is refused (403). Every POST
checks its form's CSRF token: the session's own once signed in, a double-submit cookie
before (log-in and set-up forms).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.config import Settings
from bot.db import clinicians
from bot.db.models import utcnow
from bot.db.session import Database
from bot.flow.library import FlowLibrary, load_library
from bot.portal.auth import AddressGuard, token_hash
from bot.portal.scores import NO_MEASURES, ScoreSource

__all__ = [
    "ABSOLUTE_HOURS",
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "PortalState",
    "SignedIn",
    "admin_page",
    "anonymous_csrf",
    "check_anonymous_csrf",
    "page",
    "portal_state",
    "signed_in_page",
]

SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
ABSOLUTE_HOURS = 12
TEMPLATES = Path(__file__).parent / "templates"

Handler = Callable[[Request], Awaitable[Response]]
SignedInHandler = Callable[[Request, "SignedIn"], Awaitable[Response]]


@dataclass
class PortalState:
    """Built once per app: the database, the settings and what the pages need."""

    database: Database
    settings: Settings
    guard: AddressGuard = field(default_factory=AddressGuard)
    scores: ScoreSource = NO_MEASURES
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )

    chart_library: FlowLibrary | None = None

    def flow_library(self) -> FlowLibrary:
        """The bot's flows (the questionnaires' names, bands and ranges, the answers'
        words) and texts, that the chart's PDF is written with; read on first use (two
        threads may both read them: the same files, the same result)."""
        if self.chart_library is None:
            self.chart_library = load_library(
                Path(self.settings.flows_dir), Path(self.settings.content_dir)
            )
        return self.chart_library

    @property
    def base_url(self) -> str:
        return (self.settings.portal_url or "").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class SignedIn:
    clinician: clinicians.ClinicianRecord
    session_hash: str
    csrf: str


def portal_state(request: Request) -> PortalState:
    state = request.app.state.portal
    assert isinstance(state, PortalState)
    return state


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    who: SignedIn | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render ``template``; the signed-in clinician and the CSRF token are always there."""
    state = portal_state(request)
    values = {"who": who, "csrf": who.csrf if who else anonymous_csrf(request), **(context or {})}
    html = state.templates.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    if who is None and request.cookies.get(CSRF_COOKIE) != values["csrf"]:
        response.set_cookie(
            CSRF_COOKIE,
            str(values["csrf"]),
            httponly=True,
            samesite="strict",
            secure=state.secure_cookies,
            path="/",
        )
    return response


def anonymous_csrf(request: Request) -> str:
    """The double-submit token of a visitor not signed in (kept in a cookie)."""
    found = request.cookies.get(CSRF_COOKIE, "")
    if len(found) >= 32 and found.isascii():
        return found
    if "new_csrf" not in request.scope:
        request.scope["new_csrf"] = secrets.token_urlsafe(32)
    return str(request.scope["new_csrf"])


def check_anonymous_csrf(request: Request, form_value: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (
        bool(cookie) and isinstance(form_value, str) and secrets.compare_digest(cookie, form_value)
    )


def _load_session(
    connection: Connection, id_hash: str, idle: timedelta
) -> tuple[clinicians.ClinicianRecord, str] | None:
    session = clinicians.session_by_hash(connection, id_hash)
    if session is None:
        return None
    now = utcnow()
    if now - session.last_seen_at > idle or now - session.created_at > timedelta(
        hours=ABSOLUTE_HOURS
    ):
        clinicians.delete_session(connection, id_hash)
        return None
    clinician = clinicians.clinician_by_id(connection, session.clinician_id)
    if clinician is None or not clinician.ready:
        return None
    clinicians.touch_session(connection, id_hash)
    return clinician, session.csrf_token


async def signed_in(request: Request) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    state = portal_state(request)
    id_hash = token_hash(token)
    idle = timedelta(minutes=state.settings.portal_session_minutes)
    found = await state.database.transaction(lambda c: _load_session(c, id_hash, idle))
    if found is None:
        return None
    return SignedIn(found[0], id_hash, found[1])


def _refused(request: Request, status: int, sentence: str) -> Response:
    return page(request, "refused.html", {"sentence": sentence}, status=status)


def signed_in_page(handler: SignedInHandler, *, admin: bool = False) -> Handler:
    """Only for a signed-in clinician (an admin when ``admin``); POSTs need the CSRF token."""

    async def guarded(request: Request) -> Response:
        who = await signed_in(request)
        if who is None:
            if request.method in ("GET", "HEAD"):
                return RedirectResponse("/login", status_code=303)
            return _refused(request, 403, "Please sign in first.")
        if admin and not who.clinician.is_admin:
            return _refused(request, 403, "Only the practice's portal admins can see this page.")
        if request.method == "POST":
            form = await request.form()
            sent = form.get("csrf")
            if not isinstance(sent, str) or not secrets.compare_digest(sent, who.csrf):
                return _refused(
                    request, 403, "This form has expired. Go back, reload the page and try again."
                )
        return await handler(request, who)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def admin_page(handler: SignedInHandler) -> Handler:
    return signed_in_page(handler, admin=True)
