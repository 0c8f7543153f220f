"""Invitations: the clinician types the practice's own label for the patient and gets a
one-use, expiring Telegram link to pass on. The code is shown once and stored only as
its hash; the label never reaches the bot or the patient.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from bot.coach.sharing import code_hash
from bot.db import alerts as audit
from bot.db import sharing
from bot.db.models import utcnow
from bot.portal.web import SignedIn, page, portal_state, signed_in_page

__all__ = ["invitation_link", "invitations"]

MAX_LABEL = 120
NO_USERNAME = (
    "Set TELEGRAM_BOT_USERNAME (the bot's username, without the @) in the settings, then "
    "restart the portal, to make invitation links."
)


def invitation_link(username: str, code: str) -> str:
    return f"https://t.me/{username.lstrip('@')}?start={code}"


async def _invitations(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    username = state.settings.telegram_bot_username
    context: dict[str, object] = {"days": state.settings.portal_invitation_days}
    if request.method == "POST":
        form = await request.form()
        raw = form.get("label")
        label = raw.strip()[:MAX_LABEL] if isinstance(raw, str) else ""
        if not username:
            context["error"] = NO_USERNAME
        elif not label:
            context["error"] = "Type the name or record number the practice uses for the patient."
        else:
            code = secrets.token_urlsafe(18)
            expires = utcnow() + timedelta(days=state.settings.portal_invitation_days)

            def create(connection: Connection) -> None:
                made = sharing.add_invitation(
                    connection,
                    code_hash=code_hash(code),
                    label=label,
                    created_by=who.clinician.id,
                    expires_at=expires,
                )
                audit.add_audit(
                    connection,
                    actor=who.clinician.email,
                    action="invitation.created",
                    clinician_id=who.clinician.id,
                    detail=str(made),
                )

            await state.database.transaction(create)
            context.update(link=invitation_link(username, code), label=label, expires=expires)
    now = utcnow()

    def read(connection: Connection) -> list[sharing.InvitationRecord]:
        found = sharing.open_invitations(connection, now)
        audit.add_audit(  # the open invitations show the practice's labels for patients
            connection,
            actor=who.clinician.email,
            action="view.invitations",
            clinician_id=who.clinician.id,
            detail=f"{len(found)} open",
        )
        return found

    context["open"] = await state.database.transaction(read)
    status = 400 if "error" in context else 200
    return page(request, "invitations.html", context, who=who, status=status)


invitations = signed_in_page(_invitations)
