"""Going through /start as a patient does, so a test's later steps are stored."""

from __future__ import annotations

from bot.coach.service import CoachService
from bot.db import measures, store
from bot.shared.messages import Inbound


def button(reply_messages: object, label: str) -> str:
    """The token of the button labelled ``label`` among a reply's messages."""
    for message in reply_messages:  # type: ignore[attr-defined]
        for row in message.buttons:
            for b in row:
                if b.label == label and b.token:
                    return str(b.token)
    raise AssertionError(f"no button {label!r}")


async def agree(service: CoachService, who: str) -> None:
    """/start, "Okay, go on", "Yes" to storing answers, then /cancel the rest of onboarding:
    from here on the patient's steps are stored."""
    hello = await service.handle(who, Inbound.message("/start"))
    consent = await service.handle(who, Inbound.press(button(hello.messages, "Okay, go on")))
    await service.handle(who, Inbound.press(button(consent.messages, "Yes")))
    await service.handle(who, Inbound.message("/cancel"))


async def decline(service: CoachService, who: str) -> None:
    """/start, "Okay, go on", then "No" to storing answers."""
    hello = await service.handle(who, Inbound.message("/start"))
    consent = await service.handle(who, Inbound.press(button(hello.messages, "Okay, go on")))
    await service.handle(who, Inbound.press(button(consent.messages, "No")))


async def administrations(service: CoachService, who: str) -> list[measures.MeasureRow]:
    """The questionnaire rows stored for the test patient ``who``, oldest first."""

    def read(connection):  # type: ignore[no-untyped-def]
        patient = store.find_patient(connection, channel="test", external_id=who)
        assert patient is not None
        return measures.administrations(connection, patient_id=patient.id)

    return await service.database.transaction(read)
