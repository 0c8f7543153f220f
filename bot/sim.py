"""The terminal channel: the same engine and database as Telegram, in a shell.

Bot messages are printed, buttons listed as ``[1] label``; the patient answers with a
button's number or words, or types text. Standard input may be piped (one answer per
line), so a clinician's scripted try and a test can drive it.

It behaves as Telegram does where a terminal can: a typed number presses a button of the
latest message only (an earlier message's buttons are gone, as if scrolled away); with
real pauses (a terminal, not a pipe), timed cues are shown while the next line is read,
and typing during them stops the cues and shows the question, as a message in Telegram
does. Lines are read by a daemon thread, so Ctrl-C ends the chat at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from dataclasses import replace
from typing import Any, TextIO

from bot.authoring.testing import plain
from bot.coach.service import CoachService, Reply
from bot.shared import tokens
from bot.shared.messages import Button, Inbound

#: What the line reader puts in the queue when standard input ends.
_END = None


class TerminalChat:
    def __init__(self, service: CoachService, patient: str, out: TextIO, pauses: bool) -> None:
        self.service = service
        self.patient = patient
        self.out = out
        self.pauses = pauses
        self.buttons: list[Button] = []
        #: The timed cues of the latest reply still being shown (real pauses only).
        self.cues: asyncio.Task[None] | None = None

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
        await self.stop_cues()
        if self.pauses:  # the engine paces against real time, as in Telegram
            event = replace(event, at=time.time())
        reply = await self.service.handle(self.patient, event)
        if self.pauses and any(m.pause_before for m in reply.messages):
            self.cues = asyncio.get_running_loop().create_task(self.show(reply))
        else:
            await self.show(reply)

    async def stop_cues(self) -> None:
        """Something new was typed: the rest of the timed cues is not shown."""
        if self.cues is None:
            return
        cues, self.cues = self.cues, None
        if not cues.done():
            cues.cancel()
            self.out.write("   (cues stopped)\n")
        with contextlib.suppress(asyncio.CancelledError):
            await cues  # a closed output (BrokenPipeError) is raised here

    async def show(self, reply: Reply) -> None:
        if reply.pressed == "replace":
            self.buttons = [b for row in reply.keyboard for b in row]
            self._print_buttons()
        elif reply.messages:
            # Only the latest message's buttons answer a typed number.
            self.buttons = [b for row in reply.messages[-1].buttons for b in row]
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
                self._print_buttons(buttons)
        self.out.flush()

    def _print_buttons(self, buttons: list[Button] | None = None) -> None:
        for i, button in enumerate(self.buttons if buttons is None else buttons, 1):
            target = f"  ({button.url})" if button.url else ""
            self.out.write(f"   [{i}] {button.label}{target}\n")


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines of ``stdin`` as they come, read by a daemon thread (it never holds up exit)."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the chat already ended
            loop.call_soon_threadsafe(lines.put_nowait, line)

    def read() -> None:
        try:
            for line in iter(stdin.readline, ""):
                put(line)
        except (OSError, ValueError):
            pass  # standard input closed under us: the chat ends
        put(_END)

    threading.Thread(target=read, name="chat-input", daemon=True).start()
    return lines


async def run_chat(
    service: CoachService,
    *,
    patient: str,
    flow_id: str | None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    from_step: str | None = None,
    variables: dict[str, Any] | None = None,
    pauses: bool | None = None,
) -> None:
    """Chat until standard input ends. ``pauses``: wait out timed cues (default: when
    standard input is a terminal; a piped script shows them without waiting)."""
    interactive = stdin.isatty()
    chat = TerminalChat(service, patient, out, pauses=interactive if pauses is None else pauses)
    lines = _read_lines(stdin, asyncio.get_running_loop())
    await chat.start(flow_id, from_step, variables)
    while True:
        if interactive and chat.cues is None:
            _prompt(out)
        next_line = asyncio.ensure_future(lines.get())
        while chat.cues is not None and not next_line.done():
            # Cues are being shown: a line typed meanwhile stops them (in send).
            await asyncio.wait({next_line, chat.cues}, return_when=asyncio.FIRST_COMPLETED)
            if chat.cues.done() and not next_line.done():
                await chat.stop_cues()  # finished (or the output closed: raised here)
                if interactive:
                    _prompt(out)
        line = await next_line
        if line is _END:
            break
        if not interactive:
            out.write(f"you> {line.rstrip()}\n")
        await chat.answer(line)
    await chat.stop_cues()


def _prompt(out: TextIO) -> None:
    out.write("you> ")
    out.flush()
