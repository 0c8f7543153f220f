"""Set-up (password, then the authenticator app), log-in and log-out.

A successful log-in always starts a new session with a new random id (the one the browser
brought, if any, is deleted), so an id planted before log-in is worth nothing after it.
Every failure says the same sentence, so the page never tells which part was wrong or
whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.db import clinicians
from bot.db.alerts import add_audit
from bot.db.models import utcnow
from bot.portal import auth
from bot.portal.web import (
    SESSION_COOKIE,
    SignedIn,
    check_anonymous_csrf,
    page,
    portal_state,
    signed_in,
    signed_in_page,
)

__all__ = ["login_form", "login_submit", "logout", "setup_code", "setup_password"]

FAILED = "That did not work. Check your email, password and the 6-digit code, and try again."
LOCKED = (
    "Too many tries. This account is locked for "
    f"{auth.LOCK_MINUTES} minutes; wait, then try again, or ask a portal admin."
)
BUSY = "Too many tries from this connection. Please wait ten minutes, then try again."
EXPIRED_FORM = "This form has expired. Reload the page and try again."
SETUP_GONE = "This set-up link has expired or was already used. Ask a portal admin for a new one."


def _form_text(value: object, limit: int = 300) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_form(request: Request) -> Response:
    return page(request, "login.html", {"ready": request.query_params.get("ready") == "1"})


@dataclass(frozen=True)
class _Outcome:
    clinician_id: int | None
    error: str | None


def _try_login(
    connection: Connection, email: str, password: str, code: str, session_hash: str, csrf: str
) -> _Outcome:
    now = utcnow()
    found = clinicians.clinician_by_email(connection, email)
    password_ok = auth.verify_password(found.password_hash if found else None, password)
    if found is None or not found.ready:
        return _Outcome(None, FAILED)
    if found.locked_until is not None and found.locked_until > now:
        add_audit(connection, actor=found.email, action="login.locked", clinician_id=found.id)
        return _Outcome(None, LOCKED)
    step = (
        auth.matching_totp_step(found.totp_secret or "", code, now, found.last_totp_step)
        if password_ok
        else None
    )
    if step is None:
        locked = auth.lock_until(found.failed_logins, now)
        clinicians.record_login_failure(connection, clinician_id=found.id, locked_until=locked)
        add_audit(
            connection,
            actor=found.email,
            action="login.failed",
            clinician_id=found.id,
            detail="locked" if locked else None,
        )
        return _Outcome(None, LOCKED if locked else FAILED)
    clinicians.record_login_success(connection, clinician_id=found.id, totp_step=step)
    clinicians.start_session(
        connection, id_hash=session_hash, clinician_id=found.id, csrf_token=csrf
    )
    add_audit(connection, actor=found.email, action="login", clinician_id=found.id)
    return _Outcome(found.id, None)


async def login_submit(request: Request) -> Response:
    state = portal_state(request)
    form = await request.form()
    if not check_anonymous_csrf(request, form.get("csrf")):
        return page(request, "login.html", {"error": EXPIRED_FORM}, status=403)
    address = _client(request)
    if state.guard.blocked(address):
        return page(request, "login.html", {"error": BUSY}, status=429)
    email = _form_text(form.get("email"), 254).strip().lower()
    password = _form_text(form.get("password"), auth.MAX_PASSWORD)
    code = _form_text(form.get("code"), 20)
    previous = request.cookies.get(SESSION_COOKIE)
    token, csrf = auth.new_secret_token(), auth.new_secret_token()
    outcome = await state.database.transaction(
        lambda c: _try_login(c, email, password, code, auth.token_hash(token), csrf)
    )
    if outcome.clinician_id is None:
        state.guard.failed(address)
        status = 423 if outcome.error == LOCKED else 401
        return page(request, "login.html", {"error": outcome.error, "email": email}, status=status)
    if previous:
        old = auth.token_hash(previous[:128])
        await state.database.transaction(lambda c: clinicians.delete_session(c, old))
    response = RedirectResponse("/patients", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=state.secure_cookies,
        path="/",
    )
    return response


async def _logout(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)

    def end(connection: Connection) -> None:
        clinicians.delete_session(connection, who.session_hash)
        add_audit(
            connection, actor=who.clinician.email, action="logout", clinician_id=who.clinician.id
        )

    await state.database.transaction(end)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


logout = signed_in_page(_logout)


def _setup_clinician(connection: Connection, token: str) -> clinicians.ClinicianRecord | None:
    found = clinicians.clinician_by_setup_token(connection, auth.token_hash(token[:128]))
    if found is None or found.setup_expires_at is None or found.setup_expires_at < utcnow():
        return None
    return found


async def setup_password(request: Request) -> Response:
    """Step one of set-up: choose a password."""
    state = portal_state(request)
    token = str(request.path_params["token"])
    found = await state.database.transaction(lambda c: _setup_clinician(c, token))
    if found is None:
        return page(request, "refused.html", {"sentence": SETUP_GONE}, status=404)
    if request.method == "GET":
        return page(request, "setup_password.html", {"email": found.email})
    form = await request.form()
    if not check_anonymous_csrf(request, form.get("csrf")):
        return page(request, "setup_password.html", {"error": EXPIRED_FORM}, status=403)
    password = _form_text(form.get("password"), auth.MAX_PASSWORD + 1)
    problem = auth.password_problem(password, _form_text(form.get("again"), auth.MAX_PASSWORD + 1))
    if problem is not None:
        return page(
            request, "setup_password.html", {"email": found.email, "error": problem}, status=400
        )
    hashed, secret = auth.hash_password(password), auth.new_totp_secret()
    await state.database.transaction(
        lambda c: clinicians.save_pending_setup(
            c, clinician_id=found.id, password_hash=hashed, totp_secret=secret
        )
    )
    return RedirectResponse(f"/setup/{token}/code", status_code=303)


async def setup_code(request: Request) -> Response:
    """Step two: add the portal to an authenticator app and type its first code."""
    state = portal_state(request)
    token = str(request.path_params["token"])
    found = await state.database.transaction(lambda c: _setup_clinician(c, token))
    if found is None or found.password_hash is None or found.totp_secret is None:
        return page(request, "refused.html", {"sentence": SETUP_GONE}, status=404)
    secret = found.totp_secret
    context = {
        "email": found.email,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": auth.totp_uri(secret, found.email),
    }
    if request.method == "GET":
        return page(request, "setup_code.html", context)
    form = await request.form()
    if not check_anonymous_csrf(request, form.get("csrf")):
        return page(request, "setup_code.html", {**context, "error": EXPIRED_FORM}, status=403)
    step = auth.matching_totp_step(secret, _form_text(form.get("code"), 20), utcnow(), 0)
    if step is None:
        error = "That code did not match. Type the 6 digits your app shows now."
        return page(request, "setup_code.html", {**context, "error": error}, status=400)

    def finish(connection: Connection) -> None:
        clinicians.finish_setup(connection, clinician_id=found.id, totp_step=step)
        add_audit(connection, actor=found.email, action="clinician.setup", clinician_id=found.id)

    await state.database.transaction(finish)
    return RedirectResponse("/login?ready=1", status_code=303)


async def home(request: Request) -> Response:
    who = await signed_in(request)
    return RedirectResponse("/patients" if who else "/login", status_code=303)
