"""The safety plan through the real service and database: a saved plan is shown first, an
edit stores the whole plan (new answers with the saved ones), and the practice's own numbers
(PRACTICE_PHONE, PRACTICE_PHONE_AFTER_HOURS) show in it, in /plan and in /sos alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.coach.build import build_engine
from bot.coach.privacy import safety_plan_html
from bot.coach.service import CoachService
from bot.config import Settings
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from bot.shared.messages import Inbound
from tests.coach.helpers import agree, button

PLAN = [
    "Not sleeping",
    "A long walk",
    "My sister's place",
    "Maria, 555-0142",
    "My counselor",
    "Pills locked away",
    "In the kitchen drawer",
    "My daughter",
]
FIELDS = [
    "warning_signs",
    "coping",
    "distractions",
    "helpers",
    "professionals",
    "safer_surroundings",
    "naloxone",
    "reasons",
]
BOTH = "Your practice: (555) 010-0100 (daytime), 555-010-0199 (after hours) · 988 Lifeline"


async def write_plan(service: CoachService, who: str) -> None:
    await agree(service, who)
    reply = await service.handle(who, Inbound.message("/plan"))
    assert "There are eight short questions" in reply.messages[0].text
    for answer in PLAN:
        reply = await service.handle(who, Inbound.message(answer))
    assert any(r.kind == "safety_plan" for r in reply.records)


async def plans(service: CoachService, who: str) -> list[dict[str, object]]:
    def read(connection: object) -> list[dict[str, object]]:
        patient = store.find_patient(connection, channel="test", external_id=who)  # type: ignore[arg-type]
        assert patient is not None
        entries = store.journal(connection, patient_id=patient.id, kind="safety_plan")  # type: ignore[arg-type]
        return [dict(e.data) for e in entries]

    return await service.database.transaction(read)


@pytest.fixture
async def practice_service(
    database_url: str, library: FlowLibrary, settings: Settings
) -> AsyncIterator[CoachService]:
    """A coach whose practice has set both of its numbers."""
    numbered = settings.model_copy(
        update={"practice_phone": "(555) 010-0100", "practice_phone_after_hours": "555-010-0199"}
    )
    database = Database(database_url)
    await upgrade_to_head(database)
    yield CoachService(build_engine(numbered, library), database, "test")
    await database.dispose()


async def test_a_saved_plan_is_shown_first_as_sos_shows_it(service: CoachService) -> None:
    await write_plan(service, "p1")
    reply = await service.handle("p1", Inbound.message("/plan"))
    (shown,) = reply.messages
    engine = service.current.engine

    def as_sos(connection: object) -> str | None:
        patient = store.find_patient(connection, channel="test", external_id="p1")  # type: ignore[arg-type]
        assert patient is not None
        return safety_plan_html(
            connection,  # type: ignore[arg-type]
            patient.id,
            engine.library.content,
            engine.coach_texts,
        )

    assert shown.text == await service.database.transaction(as_sos)
    assert [b.label for row in shown.buttons for b in row] == ["Edit my plan", "Done"]
    assert reply.records == []
    done = await service.handle("p1", Inbound.press(button(reply.messages, "Done")))
    assert "whenever you need it" in done.messages[0].text
    assert len(await plans(service, "p1")) == 1


async def test_editing_one_part_stores_the_whole_plan(service: CoachService) -> None:
    await write_plan(service, "p2")
    reply = await service.handle("p2", Inbound.message("/plan"))
    reply = await service.handle("p2", Inbound.press(button(reply.messages, "Edit my plan")))
    label = "6. Making my surroundings safer"
    reply = await service.handle("p2", Inbound.press(button(reply.messages, label)))
    assert "6. Making my surroundings safer" in reply.messages[0].text
    reply = await service.handle("p2", Inbound.message("Jo holds my spare supply for now"))
    summary = reply.messages[0].text
    for answer in [a for a in PLAN if a != "Pills locked away"]:
        assert answer in summary
    assert "Jo holds my spare supply for now" in summary and "Pills locked away" not in summary
    first, edited = await plans(service, "p2")
    assert first == dict(zip(FIELDS, PLAN, strict=True))
    assert edited == {**first, "safer_surroundings": "Jo holds my spare supply for now"}


async def test_skipping_the_part_chosen_keeps_it(service: CoachService) -> None:
    await write_plan(service, "p3")
    reply = await service.handle("p3", Inbound.message("/plan"))
    reply = await service.handle("p3", Inbound.press(button(reply.messages, "Edit my plan")))
    reply = await service.handle(
        "p3", Inbound.press(button(reply.messages, "7. Naloxone (Narcan)"))
    )
    reply = await service.handle("p3", Inbound.press(button(reply.messages, "Skip this one")))
    assert "In the kitchen drawer" in reply.messages[0].text
    first, edited = await plans(service, "p3")
    assert edited == first


async def test_without_a_plan_it_starts_writing(service: CoachService) -> None:
    await agree(service, "p4")
    reply = await service.handle("p4", Inbound.message("/plan"))
    assert "1. Warning signs" in reply.messages[-1].text
    assert [b.label for m in reply.messages for row in m.buttons for b in row] == ["Skip this one"]


async def test_without_the_practice_numbers_the_plan_says_your_practice(
    service: CoachService,
) -> None:
    await write_plan(service, "p5")
    shown = (await service.handle("p5", Inbound.message("/plan"))).messages[0].text
    assert "Your practice · 988 Lifeline (call or text 988)" in shown
    sos = await service.handle("p5", Inbound.message("/sos"))
    assert "Your practice · 988 Lifeline (call or text 988)" in sos.messages[0].text


async def test_the_practice_numbers_show_in_plan_and_sos(practice_service: CoachService) -> None:
    service = practice_service
    await write_plan(service, "p6")
    shown = (await service.handle("p6", Inbound.message("/plan"))).messages[0].text
    assert BOTH in shown
    sos = await service.handle("p6", Inbound.message("/sos"))
    assert BOTH in sos.messages[0].text and "My daughter" in sos.messages[0].text
    crisis = await service.handle("p6", Inbound.message("I want to kill myself"))
    assert BOTH in crisis.messages[0].text


async def test_a_part_never_filled_in_reads_skipped_not_a_bare_heading(
    service: CoachService,
) -> None:
    """Play-through: the saved plan showed each empty part as a heading over a blank line;
    /plan and /sos show "(skipped)" there, as the plan's own summary does."""
    await agree(service, "p9")
    await service.handle("p9", Inbound.message("/plan"))
    for answer in ["Not sleeping", "skip", *PLAN[2:]]:
        await service.handle("p9", Inbound.message(answer))
    reply = await service.handle("p9", Inbound.message("/plan"))
    (shown,) = reply.messages
    assert "<b>2. Things I can do on my own</b>\n(skipped)\n" in shown.text
    assert "\n\n\n" not in shown.text and "Not sleeping" in shown.text
    sos = await service.handle("p9", Inbound.message("/sos"))
    assert "<b>2. Things I can do on my own</b>\n(skipped)" in sos.messages[0].text
