"""With the portal, the on-call notice follows the alert queue (docs/portal.md).

The queue is the place of record: an urgent alert (a crisis answer, a "yes" to the direct
question, PHQ-9 item 9 above 0) earns a notice that names no one and no kind, and the
patient is told; a patient who does not share raises no alert and earns no notice, and
onboarding no longer asks the on-call question (sharing crisis events is the consent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot.coach.build import build_engine
from bot.coach.reply import Reply
from bot.coach.service import CoachService
from bot.config import Settings
from bot.db import alerts
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from bot.shared.messages import Inbound
from tests.coach.test_notes import checkin, said_risk
from tests.portal.helpers import onboard, press, sharing_patient

TOLD = "I've let your care team know, since you share crisis alerts with them."


@pytest.fixture
async def portal_service(
    database_url: str, library: FlowLibrary, settings: Settings
) -> AsyncIterator[CoachService]:
    """The coach as `coach run` builds it with an on-call chat and PORTAL_URL set."""
    configured = settings.model_copy(
        update={"oncall_chat_id": -100, "portal_url": "https://portal.practice.test"}
    )
    database = Database(database_url)
    await upgrade_to_head(database)
    yield CoachService(
        build_engine(configured, library),
        database,
        "test",
        oncall_quiet=timedelta(minutes=30),
        portal_alerts=True,
    )
    await database.dispose()


def _texts(reply: Reply) -> str:
    return " ".join(m.text for m in reply.messages)


async def test_a_sharing_patients_crisis_earns_one_nameless_notice(
    portal_service: CoachService,
) -> None:
    await sharing_patient(portal_service, "s1", "Record 2001")
    crisis = await portal_service.handle("s1", Inbound.message("I want to kill myself"))
    assert crisis.oncall_notice is not None
    assert crisis.oncall_notice.name is None and crisis.oncall_notice.category == "alert"
    assert TOLD in _texts(crisis)
    # While that alert is still new, a repeat adds no alert and no second notice.
    again = await portal_service.handle("s1", Inbound.message("I want to kill myself"))
    assert again.oncall_notice is None and TOLD not in _texts(again)


async def test_a_patient_who_does_not_share_earns_no_notice(
    portal_service: CoachService,
) -> None:
    await onboard(portal_service, "s2")
    crisis = await portal_service.handle("s2", Inbound.message("I want to kill myself"))
    assert crisis.safety_events  # the help lines, as ever
    assert crisis.oncall_notice is None and TOLD not in _texts(crisis)


async def test_onboarding_does_not_ask_the_oncall_question_with_the_portal(
    portal_service: CoachService,
) -> None:
    """After "no" to daily check-ins, the on-call question would come next; the welcome
    comes instead."""
    reply = await portal_service.handle("s3", Inbound.message("/start"))
    reply = await press(portal_service, "s3", reply, "Okay, go on")
    reply = await press(portal_service, "s3", reply, "Yes")
    reply = await portal_service.handle("s3", Inbound.message("Sam"))
    reply = await press(portal_service, "s3", reply, "Central")
    reply = await press(portal_service, "s3", reply, "No")  # no daily check-ins
    content = portal_service.engine.library.content
    welcome = content.get("onboarding.welcome_named").split("{")[0].strip()
    assert welcome and welcome in _texts(reply)
    assert content.get("onboarding.ask_crisis_alerts")[:40] not in _texts(reply)
    assert portal_service.engine.coach_facts["coach_oncall"] == "no"


async def test_a_new_episode_after_the_quiet_window_notifies_again(
    portal_service: CoachService,
) -> None:
    """The first alert is still new (no second alert), but the on-call chat hears again."""
    share_id = await sharing_patient(portal_service, "s6", "Record 2006")
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=True) as clock:
        first = await portal_service.handle("s6", Inbound.message("I want to kill myself"))
        assert first.oncall_notice is not None
        clock.shift(timedelta(minutes=10))
        inside = await portal_service.handle("s6", Inbound.message("I want to kill myself"))
        assert inside.oncall_notice is None
        clock.shift(timedelta(minutes=45))
        later = await portal_service.handle("s6", Inbound.message("I want to kill myself"))
    assert later.oncall_notice is not None and later.oncall_notice.name is None
    assert TOLD in _texts(later)
    found = await portal_service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [a.kind for a in found] == ["crisis"]  # one alert, still new


async def test_phq9_item_9_earns_a_notice(portal_service: CoachService) -> None:
    await sharing_patient(portal_service, "s4", "Record 2004")
    reply = await portal_service.handle("s4", Inbound.message("/phq9"))
    for label in ["Not at all"] * 8 + ["Several days"]:
        reply = await press(portal_service, "s4", reply, label)
    # The PHQ-9 is stored as its item 9 is answered, with the direct question: the notice
    # goes at once, and the question stays the last message, for the patient to answer.
    assert reply.oncall_notice is not None and reply.oncall_notice.name is None
    assert TOLD in _texts(reply)
    assert [b.label for row in reply.messages[-1].buttons for b in row] == ["Yes", "No"]
    reply = await press(portal_service, "s4", reply, "No")
    assert reply.oncall_notice is None
    reply = await press(portal_service, "s4", reply, "See my result")
    assert reply.oncall_notice is None  # stored once, told once


async def test_hard_days_adding_up_raise_an_alert_but_no_notice(
    portal_service: CoachService,
) -> None:
    """The building-risk note (third hard check-in day of five) is queued, not paged."""
    share_id = await sharing_patient(portal_service, "s5", "Record 2005")
    with time_machine.travel(datetime(2026, 11, 20, 15, 0, tzinfo=UTC), tick=True) as clock:
        for day, (mood, craving) in enumerate([(1, 3), (6, 9), (2, 2)]):
            if day:
                clock.shift(timedelta(days=1))
            last = await checkin(portal_service, "s5", mood=mood, craving=craving)
    assert said_risk(last)
    found = await portal_service.database.transaction(lambda c: alerts.alerts(c, share_id=share_id))
    assert [a.kind for a in found] == ["building_risk"]
    assert last.oncall_notice is None and TOLD not in _texts(last)
