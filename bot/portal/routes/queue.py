"""The alert queue: new, then acknowledged (by whom, when), then closed with a note.

The queue shows an alert's kind, time and the practice's own label for the patient; the
patient's page has the rest. Every action is audited with the alert's number.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.db import alerts as rows
from bot.db import clinicians
from bot.portal.web import SignedIn, page, portal_state, signed_in_page

__all__ = ["KIND_LABELS", "acknowledge", "alert_queue", "close"]

MAX_NOTE = 2000
#: What each kind of alert is called on the pages.
KIND_LABELS = {
    "crisis": "Crisis answer given",
    "direct_yes": "Yes to the direct safety question",
    "building_risk": "Hard days adding up",
    "no_checkin": "No check-in",
    "phq9_item9": "PHQ-9 item 9 above 0",
    "measure_rise": "A measure rose by its meaningful change",
    "screen_positive": "A screen came back positive (refer for assessment)",
}


async def _alert_queue(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)

    def read(connection: Connection) -> dict[str, object]:
        found = rows.alerts(connection, open_only=True)
        people = {a.acknowledged_by for a in found if a.acknowledged_by is not None}
        rows.add_audit(
            connection,
            actor=who.clinician.email,
            action="view.alerts",
            clinician_id=who.clinician.id,
            detail=f"{len(found)} open",
        )
        return {"alerts": found, "emails": clinicians.clinician_emails(connection, people)}

    context = await state.database.transaction(read)
    return page(
        request,
        "alerts.html",
        {**context, "labels": KIND_LABELS, "error": request.query_params.get("error") == "note"},
        who=who,
    )


async def _acknowledge(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    alert_id = int(request.path_params["alert_id"])

    def act(connection: Connection) -> bool:
        alert = rows.alert_by_id(connection, alert_id)
        if alert is None:
            return False
        done = rows.acknowledge_alert(connection, alert_id=alert_id, clinician_id=who.clinician.id)
        if done:
            rows.add_audit(
                connection,
                actor=who.clinician.email,
                action="alert.acknowledged",
                clinician_id=who.clinician.id,
                share_id=alert.share_id,
                detail=str(alert_id),
            )
        return True

    if not await state.database.transaction(act):
        return _not_found(request, who)
    return RedirectResponse("/alerts", status_code=303)


async def _close(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    alert_id = int(request.path_params["alert_id"])
    form = await request.form()
    raw = form.get("note")
    note = raw.strip()[:MAX_NOTE] if isinstance(raw, str) else ""
    if not note:
        return RedirectResponse("/alerts?error=note", status_code=303)

    def act(connection: Connection) -> bool:
        alert = rows.alert_by_id(connection, alert_id)
        if alert is None:
            return False
        if rows.close_alert(
            connection, alert_id=alert_id, clinician_id=who.clinician.id, note=note
        ):
            rows.add_audit(
                connection,
                actor=who.clinician.email,
                action="alert.closed",
                clinician_id=who.clinician.id,
                share_id=alert.share_id,
                detail=str(alert_id),
            )
        return True

    if not await state.database.transaction(act):
        return _not_found(request, who)
    return RedirectResponse("/alerts", status_code=303)


def _not_found(request: Request, who: SignedIn) -> Response:
    sentence = "This alert is not in the queue (it may have been closed already)."
    return page(request, "refused.html", {"sentence": sentence}, who=who, status=404)


alert_queue = signed_in_page(_alert_queue)
acknowledge = signed_in_page(_acknowledge)
close = signed_in_page(_close)
