"""The patient list and a patient's page: only patients who share, only what they share.

Every view is written to the audit table in the same transaction that reads the data.
A patient page is found by its share's number; a share that was withdrawn, or a number
that was never a share, is "not found", the same as a patient who never shared.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from bot.coach.progress.command import library_labels
from bot.db import alerts as alert_rows
from bot.db import clinicians
from bot.db.models import utcnow
from bot.db.portal_reads import (
    ChartData,
    ListedPatient,
    PatientData,
    chart_data,
    listed_patients,
    patient_data,
)
from bot.portal import figures
from bot.portal.chart import chart_file_name, chart_pdf
from bot.portal.scores import Score
from bot.portal.web import SignedIn, page, portal_state, signed_in_page
from bot.shared.worker_process import WorkerFailed
from bot.shared.zones import zone_or_default

__all__ = ["patient_chart", "patient_list", "patient_page"]

#: How far back a patient's page reaches.
PAGE_DAYS = 366


async def _patient_list(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)

    def read(connection: Connection) -> tuple[list[ListedPatient], dict[int, list[Score]]]:
        listed = listed_patients(connection)
        # Scores only of those who share them (today every share does; the choice may split).
        scores = state.scores.latest(
            connection, [p.share.patient_id for p in listed if p.share.scores]
        )
        alert_rows.add_audit(
            connection,
            actor=who.clinician.email,
            action="view.patient_list",
            clinician_id=who.clinician.id,
            detail=f"{len(listed)} patients",
        )
        return listed, scores

    listed, scores = await state.database.transaction(read)
    rows = figures.list_rows(listed, scores, utcnow())
    return page(request, "patients.html", {"patients": rows}, who=who)


@dataclass(frozen=True)
class _Page:
    data: PatientData
    alerts: list[alert_rows.AlertRecord]
    emails: dict[int, str]
    scores: list[Score]


async def _patient_page(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    share_id = int(request.path_params["share_id"])
    now = utcnow()
    since = now - timedelta(days=PAGE_DAYS)

    def read(connection: Connection) -> _Page | None:
        data = patient_data(connection, share_id, since=since)
        seen = "view.patient" if data is not None else "view.patient_refused"
        alert_rows.add_audit(
            connection,
            actor=who.clinician.email,
            action=seen,
            clinician_id=who.clinician.id,
            share_id=share_id if data is not None else None,
            detail=None if data is not None else str(share_id)[:20],
        )
        if data is None:
            return None
        found = alert_rows.alerts(connection, open_only=False, share_id=share_id)
        people = {a.acknowledged_by for a in found} | {a.closed_by for a in found}
        emails = clinicians.clinician_emails(connection, {p for p in people if p is not None})
        scores = (
            state.scores.every(connection, data.share.patient_id, since)
            if data.share.scores
            else []
        )
        return _Page(data, found, emails, scores)

    found = await state.database.transaction(read)
    if found is None:
        sentence = "There is no patient here who shares with the practice."
        return page(request, "refused.html", {"sentence": sentence}, who=who, status=404)
    check_ins = found.data.check_ins
    # The skills by their buttons' words, as /progress names them (the flows are read once,
    # off the event loop).
    labels = library_labels(await asyncio.to_thread(state.flow_library))
    month = now - timedelta(days=30)
    zone = zone_or_default(found.data.timezone, state.settings.default_timezone)
    context = {
        "data": found.data,
        "alerts": found.alerts,
        "emails": found.emails,
        "scores": found.scores,
        "now": now,
        "chart": figures.rating_chart(check_ins, since, now),
        "use_month": figures.use_days(check_ins, month, zone),
        "use_year": figures.use_days(check_ins, since, zone),
        "skills": figures.skills_practised(check_ins, found.data.practices, since, labels),
        "ratings": figures.CHART_RATINGS,
        "rating": figures.rating,
    }
    return page(request, "patient.html", context, who=who)


async def _patient_chart(request: Request, who: SignedIn) -> Response:
    """The patient page's year as /progress's one-page PDF, for the practice's record.

    Read and audited in one transaction like the page (a refused number is audited too);
    drawn afterwards in a worker thread, so no connection waits on the drawing."""
    state = portal_state(request)
    share_id = int(request.path_params["share_id"])
    now = utcnow()
    since = now - timedelta(days=PAGE_DAYS + 1)  # a day early: the figures trim local days

    def read(connection: Connection) -> ChartData | None:
        data = chart_data(connection, share_id, since=since)
        alert_rows.add_audit(
            connection,
            actor=who.clinician.email,
            action="view.patient_chart" if data is not None else "view.patient_chart_refused",
            clinician_id=who.clinician.id,
            share_id=share_id if data is not None else None,
            detail=None if data is not None else str(share_id)[:20],
        )
        return data

    data = await state.database.transaction(read)
    if data is None:
        sentence = "There is no patient here who shares with the practice."
        return page(request, "refused.html", {"sentence": sentence}, who=who, status=404)
    settings = state.settings

    def draw() -> bytes:
        return chart_pdf(
            data,
            state.flow_library(),
            now=now,
            days=PAGE_DAYS,
            default_timezone=settings.default_timezone,
        )

    try:
        pdf = await asyncio.to_thread(draw)
    except WorkerFailed:
        sentence = "The chart could not be drawn just now; please try again in a minute."
        return page(request, "refused.html", {"sentence": sentence}, who=who, status=503)
    name = chart_file_name(share_id, now)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


patient_list = signed_in_page(_patient_list)
patient_page = signed_in_page(_patient_page)
patient_chart = signed_in_page(_patient_chart)
