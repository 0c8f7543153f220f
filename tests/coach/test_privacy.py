"""Consent, export, deletion and the safety plan's kept sections, on real databases."""

from __future__ import annotations

import time
from unittest import mock

from sqlalchemy import func, select

from bot.coach.delete_mark import DELETE_CONFIRM_SECONDS
from bot.coach.service import CoachService
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.models import Conversation, JournalEntry, Patient
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound
from tests.coach.helpers import agree
from tests.coach.patient_chat import said
from tests.db.test_storage import count, walk_example


async def test_declining_consent_stores_nothing(service: CoachService) -> None:
    reply = await service.handle("c1", Inbound.message("/start"))
    for _ in range(10):
        labels = {
            b.label: b.token for m in reply.messages for row in m.buttons for b in row if b.token
        }
        if "No" in labels:
            reply = await service.handle("c1", Inbound.press(labels["No"]))
            break
        token = next(iter(labels.values()))
        reply = await service.handle("c1", Inbound.press(token))
    assert reply.profile_updates.get("consent") == "no"
    assert await count(service, Patient) == 0
    assert await count(service, Conversation) == 0


async def test_export_then_delete_everything(service: CoachService) -> None:
    await walk_example(service, "c2")
    await service.handle("c2", Inbound.message("Chicago"))
    export = await service.handle("c2", Inbound.message("/export"))
    # /export sends files now (issue 15): the JSON document holds everything.
    dumped = "\n".join(
        m.attachment.data.decode() for m in export.messages if m.attachment is not None
    )
    assert "All my fault" in dumped and "example_entry" in dumped
    confirm = await service.handle("c2", Inbound.message("/delete"))
    button, keep = [b for m in confirm.messages for row in m.buttons for b in row]
    assert keep.label == "No, keep everything"
    kept = await service.handle("c2", Inbound.press(keep.token or ""))
    assert "deleted" not in said(kept) and any(m.buttons for m in kept.messages)  # the menu
    assert await count(service, JournalEntry) == 1  # nothing is deleted before the confirmation
    done = await service.handle("c2", Inbound.press(button.token or ""))
    assert "deleted" in done.messages[0].text
    assert await count(service, JournalEntry) == 0 and await count(service, Patient) == 0


async def test_safety_plan_keeps_sections_skipped_while_editing(service: CoachService) -> None:
    from bot.coach.privacy import keep_earlier_plan
    from bot.shared.messages import JournalRecord

    await agree(service, "c3")
    patient_id = (
        await service.database.transaction(
            lambda c: store.find_patient(c, channel="test", external_id="c3")
        )
    ).id  # type: ignore[union-attr]
    first = JournalRecord("safety_plan", "safety_plan", 1, {"reasons": "my kids", "coping": "walk"})
    await service.database.transaction(
        lambda c: store.add_journal_records(c, patient_id=patient_id, records=[first])
    )
    edited = JournalRecord("safety_plan", "safety_plan", 1, {"reasons": None, "coping": "call Jo"})
    merged = await service.database.transaction(lambda c: keep_earlier_plan(c, patient_id, edited))
    assert merged.data == {"reasons": "my kids", "coping": "call Jo"}
    total = await service.database.transaction(
        lambda c: c.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
    )
    assert total == 1


async def test_sos_shows_the_patients_own_plan_first(service: CoachService) -> None:
    await agree(service, "c4")
    reply = await service.handle("c4", Inbound.message("/plan"))
    answers = [
        "Not sleeping",
        "A long walk",
        "My sister's place",
        "Maria, 555-0142",
        "My counselor",
        "Give my supply to Jo",
        "In the kitchen drawer",  # naloxone
        "My daughter",
    ]
    for answer in answers:
        reply = await service.handle("c4", Inbound.message(answer))
    assert any(r.kind == "safety_plan" for r in reply.records), [m.text for m in reply.messages]
    sos = await service.handle("c4", Inbound.message("/sos"))
    assert "My daughter" in sos.messages[0].text and "988" in "\n".join(
        m.text for m in sos.messages[1:]
    )
    other = await service.handle("c5", Inbound.message("/sos"))
    assert "My daughter" not in "\n".join(m.text for m in other.messages)


async def test_a_suicide_answer_shows_the_plan_first_with_a_button_to_it(
    service: CoachService,
) -> None:
    await agree(service, "c6")
    await service.handle("c6", Inbound.message("/plan"))
    answers = ("Not sleeping", "A long walk", "Home", "Maria", "My counselor", "Jo", "Drawer")
    for answer in (*answers, "My son"):
        await service.handle("c6", Inbound.message(answer))
    reply = await service.handle("c6", Inbound.message("I want to kill myself"))
    first = reply.messages[0]
    assert "My son" in first.text and first.buttons[0][0].token == "flow:safety_plan"
    assert "988" in "\n".join(m.text for m in reply.messages[1:])
    overdose = await service.handle("c6", Inbound.message("i took too many pills and cant breathe"))
    assert "My son" not in "\n".join(m.text for m in overdose.messages)


async def test_the_delete_confirmation_is_honoured_by_another_process(
    database_url: str, engine: Engine
) -> None:
    # Two processes on one database (behind a load balancer, or one restarted): the press
    # reaches the one that did not show the confirmation, and still erases.
    first, second = Database(database_url), Database(database_url)
    await upgrade_to_head(first)
    asking, pressed = CoachService(engine, first, "test"), CoachService(engine, second, "test")
    try:
        await walk_example(asking, "c9")
        confirm = await asking.handle("c9", Inbound.message("/delete"))
        button, _keep = [b for m in confirm.messages for row in m.buttons for b in row]
        done = await pressed.handle("c9", Inbound.press(button.token or ""))
        assert "deleted" in done.messages[0].text
        assert await count(pressed, Patient) == 0
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_delete_press_nobody_asked_for_lately_asks_again(service: CoachService) -> None:
    await walk_example(service, "c8")
    confirm = await service.handle("c8", Inbound.message("/delete"))
    button, _keep = [b for m in confirm.messages for row in m.buttons for b in row]
    later = time.time() + DELETE_CONFIRM_SECONDS + 60
    with mock.patch("bot.coach.delete_mark.time.time", return_value=later):
        again = await service.handle("c8", Inbound.press(button.token or ""))
    assert [b for m in again.messages for row in m.buttons for b in row]  # the question again
    assert await count(service, Patient) == 1
    with mock.patch("bot.coach.delete_mark.time.time", return_value=later + 30):
        done = await service.handle("c8", Inbound.press(button.token or ""))
    assert "deleted" in done.messages[0].text and await count(service, Patient) == 0
