"""A patient talking to the real service (and a real database), by buttons' words."""

from __future__ import annotations

from bot.coach.service import CoachService, Reply
from bot.shared.messages import Inbound


class PatientChat:
    """Sends texts and presses buttons by their labels, keeping the last buttons shown."""

    def __init__(self, service: CoachService, who: str) -> None:
        self.service = service
        self.who = who
        self.buttons: dict[str, str] = {}
        self.last: Reply | None = None

    async def send(self, text: str) -> Reply:
        return await self._do(Inbound.message(text))

    async def press(self, label: str) -> Reply:
        return await self._do(Inbound.press(self.buttons[label]))

    async def _do(self, event: Inbound) -> Reply:
        reply = await self.service.handle(self.who, event)
        shown = {b.label: b.token for m in reply.messages for row in m.buttons for b in row}
        if reply.pressed == "replace":
            shown = {b.label: b.token for row in reply.keyboard for b in row}
        shown = {label: token for label, token in shown.items() if token}
        if shown:
            self.buttons = shown  # type: ignore[assignment]
        self.last = reply
        return reply

    async def onboard(self, name: str = "Sam", zone: str = "Central") -> None:
        """/start, consent, a chosen name and a time zone; no reminders, no alerts."""
        await self.send("/start")
        await self.press("Okay, go on")
        await self.press("Yes")
        await self.send(name)
        await self.press(zone)
        while "No" in self.buttons:
            await self.press("No")


def said(reply: Reply) -> str:
    return "\n".join(m.text for m in reply.messages)
