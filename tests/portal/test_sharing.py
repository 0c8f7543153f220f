"""The patient's side of sharing, through the coach's service on SQLite and PostgreSQL:
the invitation after consent, one use, expiry, /sharing, withdrawal, and the alerts a
sharing patient's turns raise (and a non-sharing patient's never do)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.coach import alerts as coach_alerts
from bot.coach.reply import Reply
from bot.coach.service import CoachService
from bot.coach.sharing import TEXT_KEYS
from bot.db import alerts, clinicians, sharing, store
from bot.db.models import AuditEntry, Share, utcnow
from bot.portal.scores import StoredScores, questionnaire_names
from bot.shared.messages import Inbound
from tests.coach.helpers import administrations
from tests.portal.helpers import invitation, onboard, press, sharing_patient


def _texts(reply: object) -> str:
    return " ".join(m.text for m in reply.messages)  # type: ignore[attr-defined]


async def _patient_id(service: CoachService, who: str) -> int:
    found = await service.database.transaction(
        lambda c: store.find_patient(c, channel=service.channel, external_id=who)
    )
    assert found is not None
    return found.id


def test_every_sharing_text_is_written(service: CoachService) -> None:
    content = service.engine.library.content
    assert [key for key in TEXT_KEYS if key not in content] == []
    for key in ("system.oncall_portal_notice", "system.oncall_portal_summary"):
        assert key in content
    assert all(len(content.get(key)) < 600 for key in TEXT_KEYS)


async def test_an_invitation_before_consent_onboards_first_and_stores_nothing_of_it(
    service: CoachService,
) -> None:
    code = await invitation(service.database, "Record 1001")
    reply = await service.handle("new", Inbound.message(f"/start {code}"))
    content = service.engine.library.content
    assert reply.messages[0].text == content.get("sharing.start_first")
    assert "Okay, go on" in [b.label for m in reply.messages for row in m.buttons for b in row]
    rows = await service.database.transaction(lambda c: c.execute(select(Share.id)).all())
    assert rows == []
    found = await service.database.transaction(
        lambda c: sharing.invitation_by_code_hash(
            c, __import__("hashlib").sha256(code.encode()).hexdigest()
        )
    )
    assert found is not None and found.used_at is None  # still good for after onboarding


async def test_after_consent_the_patient_chooses_and_the_invitation_is_spent(
    service: CoachService,
) -> None:
    await onboard(service, "p1")
    code = await invitation(service.database, "Record 1002")
    reply = await service.handle("p1", Inbound.message(f"/start {code}"))
    labels = [b.label for m in reply.messages for row in m.buttons for b in row]
    assert labels == ["Share ratings, scores and alerts", "Share those and my journal", "Not now"]
    assert "never your words" in _texts(reply)
    chosen = await press(service, "p1", reply, "Share ratings, scores and alerts")
    assert chosen.pressed == "answered"
    assert "Your journal stays private" in _texts(chosen)
    pid = await _patient_id(service, "p1")
    share = await service.database.transaction(lambda c: sharing.active_share(c, pid))
    assert share is not None and share.label == "Record 1002"
    assert (share.scores, share.crisis, share.journal) == (True, True, False)

    # One use: the same link for another patient says it is spent.
    await onboard(service, "p2")
    again = await service.handle("p2", Inbound.message(f"/start {code}"))
    assert _texts(again) == service.engine.library.content.get("sharing.invitation_gone")
    # And the old buttons pressed again do not make a second share.
    late = await press(service, "p2", reply, "Share those and my journal")
    assert _texts(late) == service.engine.library.content.get("sharing.invitation_gone")


async def test_an_expired_invitation_is_refused_kindly(service: CoachService) -> None:
    await onboard(service, "p3")
    code = await invitation(service.database, "Record 1003", expires_in=timedelta(days=1))
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=True):
        reply = await service.handle("p3", Inbound.message(f"/start {code}"))
    assert _texts(reply) == service.engine.library.content.get("sharing.invitation_gone")
    assert reply.messages[0].buttons == ()


async def test_not_now_shares_nothing(service: CoachService) -> None:
    await onboard(service, "p4")
    code = await invitation(service.database, "Record 1004")
    reply = await service.handle("p4", Inbound.message(f"/start {code}"))
    answer = await press(service, "p4", reply, "Not now")
    assert "Nothing is shared" in _texts(answer)
    pid = await _patient_id(service, "p4")
    assert await service.database.transaction(lambda c: sharing.active_share(c, pid)) is None


async def test_sharing_shows_the_choice_and_withdrawing_ends_it_but_keeps_open_alerts(
    service: CoachService,
) -> None:
    share_id = await sharing_patient(service, "p5", "Record 1005")
    status = await service.handle("p5", Inbound.message("/sharing"))
    assert "Your journal: yes" in _texts(status)
    crisis = await service.handle("p5", Inbound.message("I want to kill myself"))
    assert crisis.safety_events
    open_alerts = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [(a.kind, a.detail) for a in open_alerts] == [("crisis", "suicide")]

    journal_off = await press(service, "p5", status, "Stop sharing my journal")
    assert "journal is private again" in _texts(journal_off)
    status = await service.handle("p5", Inbound.message("/sharing"))
    stopped = await press(service, "p5", status, "Stop sharing everything")
    assert "no longer sees anything new" in _texts(stopped)
    pid = await _patient_id(service, "p5")
    assert await service.database.transaction(lambda c: sharing.active_share(c, pid)) is None
    # The unanswered alert stays in the queue, marked; its page's alerts are gone, and new
    # crisis answers raise none.
    queue = await service.database.transaction(lambda c: alerts.alerts(c))
    assert [(a.id, a.status) for a in queue] == [(open_alerts[0].id, "new")]
    assert queue[0].withdrawn_at is not None
    assert (
        await service.database.transaction(
            lambda c: alerts.alerts(c, open_only=False, share_id=share_id)
        )
        == []
    )
    await service.handle("p5", Inbound.message("I want to kill myself"))
    assert len(await service.database.transaction(lambda c: alerts.alerts(c))) == 1
    # It can still be closed, and then leaves the queue for good.
    clinician = await _clinician(service, "a@practice.test")
    closed = await service.database.transaction(
        lambda c: alerts.close_alert(c, alert_id=queue[0].id, clinician_id=clinician, note="called")
    )
    assert closed
    assert await service.database.transaction(lambda c: alerts.alerts(c)) == []
    assert await service.database.transaction(lambda c: alerts.alert_by_id(c, queue[0].id)) is None
    nothing = await service.handle("p5", Inbound.message("/sharing"))
    assert _texts(nothing) == service.engine.library.content.get("sharing.none")
    actions = await service.database.transaction(
        lambda c: [r[0] for r in c.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    )
    assert actions == [
        "share.started",
        "alert.raised",
        "share.journal_off",
        "share.withdrawn",
    ]


async def test_a_patient_who_does_not_share_raises_no_alert(service: CoachService) -> None:
    await onboard(service, "p6")
    reply = await service.handle("p6", Inbound.message("I want to kill myself"))
    assert reply.safety_events
    assert await service.database.transaction(lambda c: alerts.alerts(c)) == []


async def test_a_yes_to_the_direct_question_raises_its_own_alert(service: CoachService) -> None:
    share_id = await sharing_patient(service, "p7", "Record 1007")
    asked = await service.handle("p7", Inbound.message("I can't do this anymore"))
    assert await service.database.transaction(lambda c: alerts.alerts(c)) == []  # asked only
    await press(service, "p7", asked, "Yes, I am")
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [a.kind for a in found] == ["direct_yes"]
    # A repeat while it is still new adds no second direct_yes (in the crisis that followed
    # the yes, the repeat gets the help lines again rather than the question).
    again = await service.handle("p7", Inbound.message("I can't do this anymore"))
    if any("Yes, I am" in b.label for m in again.messages for row in m.buttons for b in row):
        await press(service, "p7", again, "Yes, I am")
    found = await service.database.transaction(lambda c: alerts.alerts(c))
    assert [a.kind for a in found].count("direct_yes") == 1


async def test_no_checkin_for_n_days_raises_one_alert(service: CoachService) -> None:
    share_id = await sharing_patient(service, "p8", "Record 1008")
    later = datetime.now(UTC) + timedelta(days=4)
    raised = await service.database.transaction(
        lambda c: coach_alerts.raise_quiet_alerts(c, now=later, days=3)
    )
    assert raised == 1
    again = await service.database.transaction(
        lambda c: coach_alerts.raise_quiet_alerts(c, now=later + timedelta(hours=1), days=3)
    )
    assert again == 0  # one per quiet spell, whatever became of it
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [(a.kind, a.detail) for a in found] == [("no_checkin", "3")]
    too_soon = await service.database.transaction(
        lambda c: coach_alerts.raise_quiet_alerts(c, now=datetime.now(UTC), days=3)
    )
    assert too_soon == 0


async def test_the_measures_seam_raises_for_sharing_patients_only(service: CoachService) -> None:
    await sharing_patient(service, "p9", "Record 1009", choice="Share ratings, scores and alerts")
    pid = await _patient_id(service, "p9")
    raised = await service.database.transaction(
        lambda c: coach_alerts.raise_alert(c, kind="phq9_item9", patient_id=pid, detail="PHQ-9")
    )
    assert raised is not None
    await onboard(service, "p10")
    other = await _patient_id(service, "p10")
    assert (
        await service.database.transaction(
            lambda c: coach_alerts.raise_alert(c, kind="measure_rise", patient_id=other)
        )
        is None
    )
    with pytest.raises(ValueError, match="unknown alert kind"):
        await service.database.transaction(
            lambda c: coach_alerts.raise_alert(c, kind="made_up", patient_id=pid)
        )


async def test_delete_removes_the_share_and_its_alerts(service: CoachService) -> None:
    await sharing_patient(service, "p11", "Record 1011")
    await service.handle("p11", Inbound.message("I want to kill myself"))
    asked = await service.handle("p11", Inbound.message("/delete"))
    await press(service, "p11", asked, asked.messages[0].buttons[0][0].label)
    counts = await service.database.transaction(
        lambda c: (
            c.execute(text("SELECT count(*) FROM portal_shares")).scalar_one(),
            c.execute(text("SELECT count(*) FROM portal_alerts")).scalar_one(),
        )
    )
    assert counts == (0, 0)


async def test_the_audit_table_refuses_changes(service: CoachService) -> None:
    await service.database.transaction(
        lambda c: alerts.add_audit(c, actor="system", action="test.line")
    )
    statements = ["UPDATE portal_audit SET action = 'changed'", "DELETE FROM portal_audit"]
    if not service.database.is_sqlite:
        statements.append("TRUNCATE portal_audit")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            await service.database.transaction(lambda c, s=statement: c.execute(text(s)))
    rows = await service.database.transaction(lambda c: alerts.audit_entries(c))
    assert [r.action for r in rows] == ["test.line"]


async def test_export_says_what_is_shared(service: CoachService) -> None:
    await sharing_patient(service, "p12", "Record 1012", choice="Share ratings, scores and alerts")
    exported = await service.handle("p12", Inbound.message("/export"))
    document = "".join(  # /export sends files: the JSON, the CSV, the FHIR bundle
        m.attachment.data.decode() for m in exported.messages if m.attachment is not None
    )
    assert '"sharing_with_the_practice"' in document
    assert '"journal": false' in document and '"crisis_alerts": true' in document
    assert "Record 1012" not in document  # the practice's label is the practice's


async def _clinician(service: CoachService, email: str) -> int:
    """A clinician row to close alerts with (not signed in: no portal here)."""
    return await service.database.transaction(
        lambda c: clinicians.add_clinician(
            c, email=email, is_admin=False, setup_token_hash="x", setup_expires_at=utcnow()
        )
    )


async def _phq9(service: CoachService, who: str, labels: list[str]) -> Reply:
    reply = await service.handle(who, Inbound.message("/phq9"))
    for label in labels:
        reply = await press(service, who, reply, label)
    return reply


async def test_phq9_item_9_and_a_rising_score_raise_their_alerts(service: CoachService) -> None:
    share_id = await sharing_patient(service, "p20", "Record 1020")
    await _phq9(service, "p20", ["Not at all"] * 9)
    assert await service.database.transaction(lambda c: alerts.alerts(c)) == []
    asked = await _phq9(service, "p20", ["Not at all"] * 8 + ["Several days"])
    back = await press(service, "p20", asked, "No")
    await press(service, "p20", back, "See my result")
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [a.kind for a in found] == ["phq9_item9"]
    await _phq9(service, "p20", ["More than half the days"] * 6 + ["Not at all"] * 3)
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert sorted(a.kind for a in found) == ["measure_rise", "phq9_item9"]


@pytest.mark.parametrize(
    "then",
    [["No"], ["Yes", "Stop the exercise for now"]],
    ids=["no-then-the-menu", "yes-then-stop"],
)
async def test_item_9_is_stored_and_alerts_without_the_result_being_seen(
    service: CoachService, then: list[str]
) -> None:
    """Item 9 above 0, then the patient leaves: after a "no" they open the menu instead
    of "See my result"; after a "yes" they stop the exercise. The administration and its
    same-day alert are stored all the same, once; pressing "See my result" later (on a
    "no") records nothing twice."""
    share_id = await sharing_patient(service, "p21", "Record 1021")
    reply = await _phq9(service, "p21", ["Not at all"] * 8 + ["Several days"])
    for label in then:
        reply = await press(service, "p21", reply, label)
    await service.handle("p21", Inbound.message("/menu"))
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [a.kind for a in found if a.kind == "phq9_item9"] == ["phq9_item9"]
    (row,) = await administrations(service, "p21")
    assert row.flags == ("thoughts_of_death_or_self_harm",)
    assert row.answers["phq9_9"] == "several_days" and row.total == 1.0


async def _ptsd(service: CoachService, who: str, labels: list[str]) -> Reply:
    reply = await service.handle(who, Inbound.message("/ptsd"))
    for label in ["Yes", *labels]:  # the trauma question, then the five items
        reply = await press(service, who, reply, label)
    return reply


async def test_a_positive_trauma_screen_raises_an_alert_once(service: CoachService) -> None:
    """PC-PTSD-5: 3 "yes" is below the cut-off; 4 is a positive screen (refer for
    assessment); a second positive after it raises none."""
    share_id = await sharing_patient(service, "p23", "Record 1023")
    await _ptsd(service, "p23", ["Yes"] * 3 + ["No"] * 2)
    assert await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id)) == []
    await _ptsd(service, "p23", ["Yes"] * 4 + ["No"])
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [(a.kind, a.detail) for a in found] == [("screen_positive", "pc_ptsd5")]
    clinician = await _clinician(service, "b@practice.test")
    assert await service.database.transaction(
        lambda c: alerts.close_alert(
            c, alert_id=found[0].id, clinician_id=clinician, note="referred"
        )
    )
    await _ptsd(service, "p23", ["Yes"] * 5)
    found = await service.database.transaction(
        lambda c: alerts.alerts(c, open_only=False, share_id=share_id)
    )
    assert [a.kind for a in found] == ["screen_positive"]  # the closed one; no second
    rows = await administrations(service, "p23")
    assert [r.positive for r in rows] == [False, True, True]


async def test_a_band_edge_alone_is_told_but_raises_no_alert(service: CoachService) -> None:
    """PHQ-9 3 (minimal) then 5 (mild): a higher band, 2 points up, under the meaningful 5."""
    share_id = await sharing_patient(service, "p22", "Record 1022")
    await _phq9(service, "p22", ["Several days"] * 3 + ["Not at all"] * 6)
    second = await _phq9(service, "p22", ["Several days"] * 5 + ["Not at all"] * 4)
    assert "(3 → 5)" in _texts(second)
    assert await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id)) == []
    third = await _phq9(service, "p22", ["More than half the days"] * 5 + ["Not at all"] * 4)
    assert "(5 → 10)" in _texts(third)
    found = await service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [(a.kind, a.detail) for a in found] == [("measure_rise", "phq9")]


async def test_the_portal_reads_the_stored_scores_with_their_direction(
    service: CoachService,
) -> None:
    await sharing_patient(service, "p21", "Record 1021")
    await _phq9(service, "p21", ["Several days"] * 5 + ["Not at all"] * 4)  # 5, mild
    await _phq9(service, "p21", ["Several days"] * 2 + ["Not at all"] * 7)  # 2, minimal
    pid = await _patient_id(service, "p21")
    source = StoredScores(questionnaire_names(Path("flows")))
    latest = await service.database.transaction(lambda c: source.latest(c, [pid]))
    assert [(s.measure, s.total, s.band, s.direction) for s in latest[pid]] == [
        ("PHQ-9", 2.0, "minimal", "down")
    ]
    since = datetime.now(UTC) - timedelta(days=1)
    every = await service.database.transaction(lambda c: source.every(c, pid, since))
    assert [(s.total, s.direction) for s in every] == [(2.0, "down"), (5.0, None)]
    assert await service.database.transaction(lambda c: source.latest(c, [])) == {}
