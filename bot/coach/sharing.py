"""The patient's side of sharing with the practice: the invitation, the choice, /sharing.

A clinician's invitation reaches the patient as ``/start <code>`` (a Telegram deep link).
A patient who has agreed to the coach's terms is asked, in plain words, what to share:
check-in ratings, scores and crisis alerts (kind and time only), and, separately, the
journal. ``/sharing`` shows the choice and withdraws it; withdrawing ends the share in
the same transaction, so the portal sees nothing new from that moment. Nothing about an
invitation is stored with the patient until they choose to share.

Called by the service inside the event's transaction, before the engine (``sharing_event``)
and after it (``note_invitation``, for a patient still getting started).
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.engine import Connection

from bot.coach.reply import Reply
from bot.db import alerts as alert_rows
from bot.db import sharing as rows
from bot.db import store
from bot.db.models import utcnow
from bot.shared import tokens
from bot.shared.content import Content, render
from bot.shared.messages import Button, Inbound, OutboundMessage, Turn

__all__ = ["TEXT_KEYS", "code_hash", "note_invitation", "sharing_event"]

log = logging.getLogger(__name__)

BASIC, ALL, NOT_NOW = "basic", "all", "no"
STOP, JOURNAL_ON, JOURNAL_OFF = "stop", "journal_on", "journal_off"
#: Every text this module says (content/sharing.yaml); a test checks they all exist.
TEXT_KEYS = tuple(
    f"sharing.{k}"
    for k in [
        "invited",
        "share_basic",
        "share_all",
        "share_not_now",
        "not_now",
        "shared_basic",
        "shared_all",
        "invitation_gone",
        "start_first",
        "already_sharing",
        "none",
        "status",
        "status_yes",
        "status_no",
        "stop_all",
        "stop_journal",
        "add_journal",
        "stopped_all",
        "stopped_journal",
        "added_journal",
    ]
)


def code_hash(code: str) -> str:
    """Invitation codes are stored only as this hash (the portal shows the code once)."""
    return hashlib.sha256(code.encode()).hexdigest()


def _invitation_code(event: Inbound) -> str | None:
    if event.kind == "command" and event.command == "start" and event.text.strip():
        return event.text.strip()[:64]
    return None


def sharing_event(
    connection: Connection, channel: str, external_id: str, event: Inbound, content: Content
) -> Reply | None:
    """The answer to an invitation, a sharing button or /sharing; None for anything else
    (and for an invitation to a patient still getting started: the engine onboards them)."""
    code = _invitation_code(event)
    token = tokens.parse(event.button or "") if event.kind == "button" else None
    is_sharing = event.kind == "command" and event.command == "sharing"
    if code is None and not isinstance(token, tokens.ShareChoice) and not is_sharing:
        return None
    patient = store.find_patient(connection, channel=channel, external_id=external_id)
    consented = patient is not None and patient.consent is True
    if code is not None:
        if not consented:
            return None
        assert patient is not None
        return _invited(connection, patient.id, code, content)
    if patient is None or not consented:
        return _say(content, "sharing.none")
    if isinstance(token, tokens.ShareChoice):
        reply = _choice(connection, patient.id, token, content)
        reply.pressed = "answered"
        return reply
    return _status(connection, patient.id, content)


def note_invitation(event: Inbound, turn: Turn, content: Content) -> None:
    """An invitation opened before the patient agreed to the coach's terms: onboarding goes
    first, and the patient is told to open the link again afterwards."""
    if _invitation_code(event) is not None:
        turn.messages.insert(0, OutboundMessage(content.get("sharing.start_first")))


def _say(content: Content, key: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
    return Reply(messages=[OutboundMessage(content.get(key), buttons=buttons)])


def _usable(connection: Connection, code: str) -> rows.InvitationRecord | None:
    found = rows.invitation_by_code_hash(connection, code_hash(code))
    return found if found is not None and found.usable(utcnow()) else None


def _invited(connection: Connection, patient_id: int, code: str, content: Content) -> Reply:
    if _usable(connection, code) is None:
        log.info("invitation refused patient=%d reason=unknown_or_spent", patient_id)
        return _say(content, "sharing.invitation_gone")
    if rows.active_share(connection, patient_id) is not None:
        return _say(content, "sharing.already_sharing")

    def button(action: str, key: str) -> tuple[Button, ...]:
        token = tokens.encode(tokens.ShareChoice(action, code))
        return (Button(content.get(key), token=token),)

    buttons = (
        button(BASIC, "sharing.share_basic"),
        button(ALL, "sharing.share_all"),
        button(NOT_NOW, "sharing.share_not_now"),
    )
    return _say(content, "sharing.invited", buttons)


def _choice(
    connection: Connection, patient_id: int, token: tokens.ShareChoice, content: Content
) -> Reply:
    share = rows.active_share(connection, patient_id)
    if token.action in (BASIC, ALL):
        if share is not None:
            return _say(content, "sharing.already_sharing")
        invitation = _usable(connection, token.code)
        if invitation is None or not rows.use_invitation(connection, invitation.id):
            return _say(content, "sharing.invitation_gone")
        journal = token.action == ALL
        share_id = rows.start_share(
            connection,
            patient_id=patient_id,
            invitation_id=invitation.id,
            scores=True,
            crisis=True,
            journal=journal,
        )
        _audit(connection, "share.started", share_id, "journal" if journal else "basic")
        log.info("sharing started patient=%d share=%d journal=%s", patient_id, share_id, journal)
        return _say(content, "sharing.shared_all" if journal else "sharing.shared_basic")
    if token.action == NOT_NOW:
        return _say(content, "sharing.not_now")
    if share is None:
        return _say(content, "sharing.none")
    if token.action == STOP:
        rows.withdraw_share(connection, share.id)
        _audit(connection, "share.withdrawn", share.id)
        log.info("sharing withdrawn patient=%d share=%d", patient_id, share.id)
        return _say(content, "sharing.stopped_all")
    if token.action in (JOURNAL_ON, JOURNAL_OFF):
        on = token.action == JOURNAL_ON
        rows.update_share(connection, share.id, journal=on)
        _audit(connection, "share.journal_on" if on else "share.journal_off", share.id)
        return _say(content, "sharing.added_journal" if on else "sharing.stopped_journal")
    return _status(connection, patient_id, content)  # an unknown action: show where they are


def _status(connection: Connection, patient_id: int, content: Content) -> Reply:
    share = rows.active_share(connection, patient_id)
    if share is None:
        return _say(content, "sharing.none")
    yes, no = content.get("sharing.status_yes"), content.get("sharing.status_no")
    text = render(
        content.get("sharing.status"),
        {
            "scores": yes if share.scores else no,
            "crisis": yes if share.crisis else no,
            "journal": yes if share.journal else no,
        },
    )
    journal_action, journal_key = (
        (JOURNAL_OFF, "sharing.stop_journal")
        if share.journal
        else (JOURNAL_ON, "sharing.add_journal")
    )
    buttons = (
        (
            Button(
                content.get(journal_key), token=tokens.encode(tokens.ShareChoice(journal_action))
            ),
        ),
        (Button(content.get("sharing.stop_all"), token=tokens.encode(tokens.ShareChoice(STOP))),),
    )
    return Reply(messages=[OutboundMessage(text, buttons=buttons)])


def _audit(connection: Connection, action: str, share_id: int, detail: str | None = None) -> None:
    alert_rows.add_audit(
        connection, actor="patient", action=action, share_id=share_id, detail=detail
    )
