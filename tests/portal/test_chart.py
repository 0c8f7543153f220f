"""The patient's chart as a PDF: /progress's own page of the patient page's year, only
for a share that is active, audited like the page, and without the patient's words."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
from pypdf import PdfReader
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.coach.service import CoachService
from bot.db import alerts, store
from bot.db.models import JournalEntry, MeasureAdministration, utcnow
from bot.shared.messages import Inbound
from tests.portal.helpers import codes, press, ready_clinician, sharing_patient, sign_in

NOTE = "Zephyrine keeps calling me useless"


def _rows(patient_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = utcnow()

    def given(days_ago: int, total: float, band: str) -> dict[str, Any]:
        return {
            "patient_id": patient_id,
            "measure": "phq9",
            "version": "1",
            "answers": {},
            "item_scores": {},
            "total": total,
            "band": band,
            "positive": None,
            "flags": [],
            "missing": [],
            "skipped": False,
            "delivered": "asked",
            "taken_at": now - timedelta(days=days_ago),
        }

    def check_in(days_ago: int, mood: int) -> dict[str, Any]:
        return {
            "patient_id": patient_id,
            "kind": "check_in",
            "flow_id": "checkin",
            "flow_version": 1,
            "data": {"mood": mood, "craving": 3, "kratom": "none", "note": NOTE},
            "created_at": now - timedelta(days=days_ago),
        }

    return [given(200, 14, "moderate"), given(3, 8, "mild")], [check_in(40, 4), check_in(2, 6)]


async def _patient_with_a_year(service: CoachService, who: str, label: str) -> int:
    share = await sharing_patient(service, who, label)

    def fill(connection: Connection) -> None:
        patient = store.find_patient(connection, channel="test", external_id=who)
        assert patient is not None
        measures, check_ins = _rows(patient.id)
        connection.execute(insert(MeasureAdministration), measures)
        connection.execute(insert(JournalEntry), check_ins)

    await service.database.transaction(fill)
    return share


async def test_the_chart_is_progress_pdf_of_the_pages_year(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.c@practice.org")
    assert (await sign_in(client, "dr.c@practice.org", codes(secret)[0])).status_code == 303
    share = await _patient_with_a_year(service, "charted", "Record 31")
    page = await client.get(f"/patients/{share}")
    assert f'href="/patients/{share}/chart.pdf"' in page.text

    response = await client.get(f"/patients/{share}/chart.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="chart-{share}-')
    assert "Record" not in disposition  # the label never leaves in a name
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Progress summary for Record 31" in text
    assert "PHQ-9: 14 to 8, moderate to mild" in text  # /progress's own line
    assert "Check-ins on 2 of 366 days" in text
    assert NOTE not in text  # free text is never on the page

    def audit(connection: Connection) -> list[tuple[str, int | None]]:
        return [(a.action, a.share_id) for a in alerts.audit_entries(connection, limit=5)]

    assert ("view.patient_chart", share) in await service.database.transaction(audit)


async def test_no_chart_without_an_active_share(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.d@practice.org")
    assert (await sign_in(client, "dr.d@practice.org", codes(secret)[0])).status_code == 303
    share = await _patient_with_a_year(service, "leaving", "Record 32")
    for number in (share + 1, 999):
        refused = await client.get(f"/patients/{number}/chart.pdf")
        assert refused.status_code == 404 and "Record 32" not in refused.text
    status = await service.handle("leaving", Inbound.message("/sharing"))
    await press(service, "leaving", status, "Stop sharing everything")
    gone = await client.get(f"/patients/{share}/chart.pdf")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")
    actions = await service.database.transaction(
        lambda c: [a.action for a in alerts.audit_entries(c, limit=3)]
    )
    assert actions[0] == "view.patient_chart_refused"
