"""The portal's security over real HTTP (uvicorn) and a real database: every route but the
public ones refuses a visitor without a session (the route table is walked), patients who
do not share cannot be reached by URL, CSRF, escaping, session fixation, lock-out, headers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from bot.coach.service import CoachService
from bot.db import alerts, store
from bot.db.models import AuditEntry
from bot.portal.app import PUBLIC_ROUTES, routes
from bot.portal.auth import IP_FAILURES, LOCK_AFTER, AddressGuard
from bot.portal.routes import audit as audit_route
from bot.portal.security import CSP
from bot.portal.web import SESSION_COOKIE
from bot.shared.messages import Inbound, JournalRecord
from tests.portal.helpers import (
    PASSWORD,
    codes,
    csrf_of,
    onboard,
    press,
    ready_clinician,
    sharing_patient,
    sign_in,
)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path).replace(":int", "")


async def test_every_route_refuses_a_visitor_without_a_session(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    await sharing_patient(service, "walk", "Record 7")
    walked = 0
    for route in routes():
        path = getattr(route, "path", "")
        if path in PUBLIC_ROUTES:
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method == "HEAD":
                continue
            response = await client.request(method, _concrete(path), data={"csrf": "x"})
            walked += 1
            assert response.status_code in (303, 403), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] == "/login"
            assert "Record 7" not in response.text
    assert walked >= 10


async def test_public_routes_are_only_the_sign_in_pages(client: httpx.AsyncClient) -> None:
    assert {"/", "/login", "/setup/{token}", "/setup/{token}/code", "/static"} == PUBLIC_ROUTES
    assert (await client.get("/setup/not-a-token")).status_code == 404


async def test_a_clinician_cannot_reach_a_patient_who_does_not_share(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.a@practice.org")
    assert (await sign_in(client, "dr.a@practice.org", codes(secret)[0])).status_code == 303
    shared = await sharing_patient(service, "sharer", "Record 11")
    await onboard(service, "private", name="Quiet")
    private = await service.database.transaction(
        lambda c: store.find_patient(c, channel="test", external_id="private")
    )
    assert private is not None
    listing = await client.get("/patients")
    assert listing.status_code == 200 and "Record 11" in listing.text
    assert "Quiet" not in listing.text
    for number in (private.id, shared + 1, 999):
        refused = await client.get(f"/patients/{number}")
        assert refused.status_code == 404 and "Quiet" not in refused.text
    assert (await client.get(f"/patients/{shared}")).status_code == 200
    # Withdrawn: gone from the list and from its own URL at once.
    status = await service.handle("sharer", Inbound.message("/sharing"))
    await press(service, "sharer", status, "Stop sharing everything")
    assert (await client.get(f"/patients/{shared}")).status_code == 404
    assert "Record 11" not in (await client.get("/patients")).text


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.b@practice.org")
    await sign_in(client, "dr.b@practice.org", codes(secret)[0])
    for data in ({"label": "Record 12"}, {"label": "Record 12", "csrf": "forged"}):
        refused = await client.post("/invitations", data=data)
        assert refused.status_code == 403 and "expired" in refused.text
    page = await client.get("/invitations")
    made = await client.post(
        "/invitations", data={"label": "Record 12", "csrf": csrf_of(page.text)}
    )
    assert made.status_code == 200 and "https://t.me/practice_coach_bot?start=" in made.text
    # The log-in form checks its own (double-submit) token too.
    fresh = httpx.AsyncClient(base_url=str(client.base_url))
    async with fresh:
        await fresh.get("/login")
        forged = await fresh.post(
            "/login",
            data={"email": "dr.b@practice.org", "password": PASSWORD, "code": "1", "csrf": "x"},
        )
        assert forged.status_code == 403


async def test_markup_in_a_label_or_journal_is_shown_escaped(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.c@practice.org")
    await sign_in(client, "dr.c@practice.org", codes(secret)[0])
    label = '<script>alert("label")</script>'
    share = await sharing_patient(service, "xss", label)
    words = '<img src=x onerror=alert(1)> "quoted" & more'
    # Stored as a step stores it (the journal's own function), as a thought record.
    record = JournalRecord("thought_record", "reframe", 1, {"situation": words, "thought": words})
    await service.database.transaction(
        lambda c: store.add_journal_records(c, patient_id=_patient(c, "xss"), records=[record])
    )
    for url in ("/patients", f"/patients/{share}", "/alerts"):
        text = (await client.get(url)).text
        assert "<script>alert" not in text and "<img src=x" not in text
    page = (await client.get(f"/patients/{share}")).text
    assert "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def _patient(connection: object, who: str) -> int:
    found = store.find_patient(connection, channel="test", external_id=who)  # type: ignore[arg-type]
    assert found is not None
    return found.id


async def test_log_in_starts_a_new_session_and_a_planted_one_is_worth_nothing(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.d@practice.org")
    planted = "attacker-chosen-session-id-0123456789abcdef"
    client.cookies.set(SESSION_COOKIE, planted)
    signed = await sign_in(client, "dr.d@practice.org", codes(secret)[0])
    assert signed.status_code == 303
    issued = signed.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    attacker = httpx.AsyncClient(base_url=str(client.base_url), cookies={SESSION_COOKIE: planted})
    async with attacker:
        assert (await attacker.get("/patients")).status_code == 303
    # The first session ends when the same browser signs in again.
    again = await sign_in(client, "dr.d@practice.org", codes(secret)[1])
    assert again.cookies.get(SESSION_COOKIE) not in (None, issued)
    old = httpx.AsyncClient(base_url=str(client.base_url), cookies={SESSION_COOKIE: issued})
    async with old:
        assert (await old.get("/patients")).status_code == 303
    # Log-out ends the session on the server, not only in the browser.
    current = again.cookies.get(SESSION_COOKIE)
    page = await client.get("/patients")
    await client.post("/logout", data={"csrf": csrf_of(page.text)})
    replay = httpx.AsyncClient(
        base_url=str(client.base_url), cookies={SESSION_COOKIE: current or ""}
    )
    async with replay:
        assert (await replay.get("/patients")).status_code == 303


async def test_a_code_works_once(client: httpx.AsyncClient, service: CoachService) -> None:
    secret = await ready_clinician(service.database, "dr.e@practice.org")
    code = codes(secret)[1]
    assert (await sign_in(client, "dr.e@practice.org", code)).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "dr.e@practice.org", code)).status_code == 401


async def test_wrong_tries_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.f@practice.org")
    for _ in range(LOCK_AFTER - 1):
        failed = await sign_in(client, "dr.f@practice.org", "000000", password="wrong password!")
        assert failed.status_code == 401 and "did not work" in failed.text
    locked = await sign_in(client, "dr.f@practice.org", "000000", password="wrong password!")
    assert locked.status_code == 423 and "locked" in locked.text
    right = await sign_in(client, "dr.f@practice.org", codes(secret)[0])
    assert right.status_code == 423 and SESSION_COOKIE not in right.cookies
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=True):
        later = await sign_in(client, "dr.f@practice.org", codes(secret)[1])
    assert later.status_code == 303


async def test_one_address_failing_many_accounts_is_refused_for_a_while(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    """Guessing across accounts (none locks) is stopped per address, right password too."""
    secret = await ready_clinician(service.database, "dr.k@practice.org")
    for n in range(IP_FAILURES):
        failed = await sign_in(client, f"guess{n}@practice.org", "123456")
        assert failed.status_code == 401
    refused = await sign_in(client, "dr.k@practice.org", codes(secret)[0])
    assert refused.status_code == 429 and SESSION_COOKIE not in refused.cookies
    assert "did not work" not in refused.text  # says to wait, not that the password was wrong


def test_the_address_guard_forgets_failures_after_its_window() -> None:
    now = [0.0]
    guard = AddressGuard(limit=3, window=600.0, clock=lambda: now[0])
    for _ in range(3):
        guard.failed("10.0.0.7")
    assert guard.blocked("10.0.0.7") and not guard.blocked("10.0.0.8")
    now[0] = 601.0
    assert not guard.blocked("10.0.0.7")


async def test_an_unknown_email_gets_the_same_answer(client: httpx.AsyncClient) -> None:
    failed = await sign_in(client, "nobody@practice.org", "123456")
    assert failed.status_code == 401 and "did not work" in failed.text


async def test_a_session_expires_when_idle(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.g@practice.org")
    await sign_in(client, "dr.g@practice.org", codes(secret)[0])
    assert (await client.get("/patients")).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=True):
        assert (await client.get("/patients")).status_code == 303


async def test_headers_forbid_scripts_framing_and_storing(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.h@practice.org")
    await sign_in(client, "dr.h@practice.org", codes(secret)[0])
    share = await sharing_patient(service, "hdr", "Record 13")
    for url in ("/login", "/patients", f"/patients/{share}", "/alerts"):
        response = await client.get(url)
        assert response.headers["content-security-policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src" not in CSP
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "<script" not in response.text
    cookie = (await sign_in(client, "dr.h@practice.org", codes(secret)[1])).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


async def test_only_admins_read_and_export_the_audit(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    secret = await ready_clinician(service.database, "dr.i@practice.org")
    await sign_in(client, "dr.i@practice.org", codes(secret)[0])
    share = await sharing_patient(service, "aud", "Record 14")
    await client.get(f"/patients/{share}")
    assert (await client.get("/audit")).status_code == 403
    assert (await client.get("/audit.csv")).status_code == 403
    admin_secret = await ready_clinician(service.database, "admin@practice.org", admin=True)
    admin = httpx.AsyncClient(base_url=str(client.base_url))
    async with admin:
        await sign_in(admin, "admin@practice.org", codes(admin_secret)[0])
        page = await admin.get("/audit")
        assert page.status_code == 200 and "view.patient" in page.text
        exported = await admin.get("/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == "id,at,clinician_id,actor,action,share_id,detail"
    assert any(f"dr.i@practice.org,view.patient,{share}," in line for line in lines)
    assert any(",export.audit," in line for line in lines)
    assert "Record 14" not in exported.text  # the label is the practice's: never in the audit


@pytest.mark.parametrize("wrong", ["", "12345", "abcdef", "1234567"])
async def test_a_malformed_code_is_a_failed_try(
    client: httpx.AsyncClient, service: CoachService, wrong: str
) -> None:
    await ready_clinician(service.database, f"dr.{len(wrong)}{wrong[:1]}@practice.org")
    failed = await sign_in(client, f"dr.{len(wrong)}{wrong[:1]}@practice.org", wrong)
    assert failed.status_code == 401


async def test_opening_the_invitations_page_is_audited(
    client: httpx.AsyncClient, service: CoachService
) -> None:
    """It shows the practice's labels for patients who have not answered yet."""
    secret = await ready_clinician(service.database, "dr.m@practice.org")
    await sign_in(client, "dr.m@practice.org", codes(secret)[0])
    assert (await client.get("/invitations")).status_code == 200
    actions = await service.database.transaction(
        lambda c: [
            (r.actor, r.action)
            for r in c.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id))
        ]
    )
    assert ("dr.m@practice.org", "view.invitations") in actions


async def test_the_audit_pages_back_through_older_lines(
    client: httpx.AsyncClient, service: CoachService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_route, "PAGE_LINES", 3)
    for n in range(5):
        await service.database.transaction(
            lambda c, n=n: alerts.add_audit(c, actor="system", action=f"test.line{n}")
        )
    admin_secret = await ready_clinician(service.database, "admin2@practice.org", admin=True)
    await sign_in(client, "admin2@practice.org", codes(admin_secret)[0])
    newest = await client.get("/audit")
    older = re.search(r'href="/audit\?before=(\d+)" id="older"', newest.text)
    assert older is not None
    first_ids = [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", newest.text)]
    second = await client.get(f"/audit?before={older.group(1)}")
    assert second.status_code == 200 and 'id="newest"' in second.text
    second_ids = [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", second.text)]
    assert len(first_ids) == 3 and second_ids  # a page of three, then the older lines
    assert max(second_ids) < min(first_ids)  # each line on one page only, newest first
    assert (await client.get("/audit?before=nonsense")).status_code == 200
