"""The terminal channel: the same engine and database as Telegram, in a shell.

Bot messages are printed, buttons listed as ``[1] label``; the patient answers with a
button's number or words, or types text. Standard input may be piped (one answer per
line), so a clinician's scripted try and a test can drive it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

from bot.authoring.testing import plain
from bot.coach.service import CoachService, Reply
from bot.shared import tokens
from bot.shared.messages import Button, Inbound


class TerminalChat:
    def __init__(self, service: CoachService, patient: str, out: TextIO, pauses: bool) -> None:
        self.service = service
        self.patient = patient
        self.out = out
        self.pauses = pauses
        self.buttons: list[Button] = []

    async def start(
        self,
        flow_id: str | None,
        from_step: str | None = None,
        variables: dict[str, Any] | None = None,
    ) -> None:
        if flow_id and from_step:
            await self.show(
                await self.service.start_flow(
                    self.patient, flow_id, at_step=from_step, variables=variables or {}
                )
            )
        elif flow_id:
            await self.send(Inbound.press(tokens.encode(tokens.OpenFlow(flow_id))))
        else:
            await self.send(Inbound.message("/menu"))

    async def answer(self, line: str) -> None:
        await self.send(self.to_event(line))

    def to_event(self, line: str) -> Inbound:
        """A typed line: a button's words or number presses it; anything else is text."""
        text = line.rstrip("\n")
        by_label = next(
            (b for b in self.buttons if b.token and b.label.lower() == text.strip().lower()), None
        )
        if by_label is not None:
            return Inbound.press(by_label.token or "")
        stripped = text.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            if button.token:
                return Inbound.press(button.token)
        return Inbound.message(text)

    async def send(self, event: Inbound) -> None:
        reply = await self.service.handle(self.patient, event)
        await self.show(reply)

    async def show(self, reply: Reply) -> None:
        if reply.pressed == "replace":
            self.buttons = [b for row in reply.keyboard for b in row]
            self._print_buttons()
        for message in reply.messages:
            if message.pause_before:
                self.out.write(f"   (pause {message.pause_before:g}s)\n")
                self.out.flush()
                if self.pauses:
                    await asyncio.sleep(message.pause_before)
            self.out.write("coach> " + plain(message.text).replace("\n", "\n       ") + "\n")
            if message.attachment is not None:
                file = message.attachment
                self.out.write(f"   (file: {file.filename}, {len(file.data):,} bytes)\n")
            buttons = [b for row in message.buttons for b in row]
            if buttons:
                self.buttons = buttons
                self._print_buttons()
        self.out.flush()

    def _print_buttons(self) -> None:
        for i, button in enumerate(self.buttons, 1):
            target = f"  ({button.url})" if button.url else ""
            self.out.write(f"   [{i}] {button.label}{target}\n")


async def run_chat(
    service: CoachService,
    *,
    patient: str,
    flow_id: str | None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    from_step: str | None = None,
    variables: dict[str, Any] | None = None,
) -> None:
    interactive = stdin.isatty()
    chat = TerminalChat(service, patient, out, pauses=interactive)
    await chat.start(flow_id, from_step, variables)
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            out.write("you> ")
            out.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        if not interactive:
            out.write(f"you> {line.rstrip()}\n")
        await chat.answer(line)
