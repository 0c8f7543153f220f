"""Commands, the coach's own buttons, and typed text outside a question.

Every command the engine knows is answered here (/menu, /cancel, /continue, /sos, /book,
/help and each flow's own command); /export, /delete and /reload are the application
layer's (``bot.coach.service``), which answers them before the engine is asked.
"""

from __future__ import annotations

from bot.flow.engine.parts import Context, EngineParts, Rows
from bot.flow.engine.resume import RESUME_OFFER
from bot.shared import tokens
from bot.shared.conversation import Crisis
from bot.shared.messages import Button
from bot.shared.tokens import SystemButton


class CommandsPart(EngineParts):
    def _command(self, ctx: Context, command: str, args: str) -> None:
        if command == "menu":
            self._menu(ctx)
        elif command == "cancel":
            self._cancel(ctx)
        elif command == "continue":
            self._continue(ctx)
        elif command == "sos":
            self._sos(ctx)
        elif command == "book":
            self._book(ctx)
        elif command == "help":
            self._say_key(ctx, "system.help", buttons=(self._way_back(),))
        elif command == "skip" and self._waits_on_optional(ctx):
            self._answer(ctx, button=None, text="skip")
        else:
            compiled = self.library.by_command(command)
            if compiled is None:
                self._say_key(ctx, "system.unknown_command", buttons=(self._way_back(),))
            else:
                self._start_flow(ctx, compiled.id)

    def _waits_on_optional(self, ctx: Context) -> bool:
        """An optional question waits (so /skip skips it), not the direct question or
        a crisis answer's hold."""
        frame = ctx.state.current
        if frame is None or ctx.state.hold is not None:
            return False
        step = self.library.flows[frame.flow_id].flow.steps.get(frame.step)
        return step is not None and step.optional and frame.asks != RESUME_OFFER

    def _button(self, ctx: Context, raw: str) -> None:
        token = tokens.parse(raw)
        if isinstance(token, tokens.OpenFlow) and token.flow_id in self.library.flows:
            ctx.turn.pressed = "answered"
            self._start_flow(ctx, token.flow_id)
        elif isinstance(token, tokens.SystemAction | tokens.AskedAnswer):
            ctx.turn.pressed = "answered"
            self._system_button(ctx, token)
        elif isinstance(token, tokens.Answer) and self._asked_category(ctx) is not None:
            # An exercise button while the direct question is open: not a "no", so help.
            ctx.turn.pressed = "stale"
            self._asked_answer(ctx, self._asked_category(ctx) or "", "unclear")
        elif (
            isinstance(token, tokens.Answer)
            and token.question_number == ctx.state.question_number
            and ctx.state.frames
        ):
            ctx.state.hold = None
            self._answer(ctx, button=token.value, text=None)
        else:
            ctx.turn.pressed = "stale"
            self._say_key(ctx, "system.stale_button")
            if ctx.state.frames and ctx.state.hold is None:
                self._reask(ctx)

    def _system_button(self, ctx: Context, token: tokens.SystemAction | tokens.AskedAnswer) -> None:
        if isinstance(token, tokens.AskedAnswer):
            if self._asks(token.category):
                self._asked_answer(ctx, token.category, "yes" if token.yes else "no")
                return
            button = None
        else:
            button = token.button
        if button is SystemButton.MENU:
            self._menu(ctx)
        elif button in (SystemButton.CONTINUE, SystemButton.RESUME):
            ctx.state.hold = None
            self._continue(ctx)
        elif button is SystemButton.STOP:
            ctx.state.hold = None
            self._cancel(ctx)
        elif button is SystemButton.SOS:
            self._sos(ctx)
        elif button is SystemButton.BOOK:
            self._book(ctx)
        else:
            ctx.turn.pressed = "stale"
            self._say_key(ctx, "system.stale_button")

    def _text(self, ctx: Context, text: str) -> None:
        if isinstance(ctx.state.hold, Crisis) and ctx.state.frames:
            translated = self.screener.after_crisis(ctx.state.language) if self.screener else None
            if translated is not None:
                ctx.turn.messages.append(translated)
            else:
                self._say_key(ctx, "system.after_crisis", buttons=self._hold_buttons())
            return
        if not ctx.state.frames:
            self._free_text(ctx, text)
            return
        self._answer(ctx, button=None, text=text)

    def _menu(self, ctx: Context, intro: str = "system.menu_title") -> None:
        self._say_key(ctx, intro, buttons=self._menu_rows(ctx))

    def _menu_rows(self, ctx: Context) -> Rows:
        """Continue (when an exercise waits), then every menu flow in content/menu.yaml's order."""
        rows: list[tuple[Button, ...]] = []
        waiting = self._waiting_frame(ctx)
        if waiting is not None and waiting.flow_id in self.library.flows:
            label = self._continue_words(ctx)
            rows.append((Button(label, token=tokens.encode(SystemButton.CONTINUE)),))
        for compiled in self.library.menu():
            assert compiled.flow.start.menu is not None
            token = tokens.encode(tokens.OpenFlow(compiled.id))
            rows.append((Button(self._text_of(compiled.flow.start.menu), token=token),))
        return tuple(rows)

    def _cancel(self, ctx: Context) -> None:
        if not ctx.state.frames:
            self._say_key(ctx, "system.nothing_to_cancel", buttons=(self._way_back(),))
            return
        ctx.state.frames = []
        ctx.state.hold = None
        self._say_key(ctx, "system.cancelled", buttons=(self._way_back(),))

    def _continue(self, ctx: Context) -> None:
        if not ctx.state.frames and ctx.state.paused:
            ctx.state.frames, ctx.state.paused = ctx.state.paused, []
            if self._reconcile(ctx):
                return
        if not ctx.state.frames:
            self._say_key(ctx, "system.nothing_to_continue", buttons=(self._way_back(),))
            return
        self._reask(ctx)

    def _sos(self, ctx: Context) -> None:
        ctx.turn.messages.extend(
            self.sos_messages(
                in_exercise=bool(ctx.state.frames),
                safety_plan_html=ctx.patient.safety_plan_html,
                language=ctx.state.language,
            )
        )

    def _book(self, ctx: Context) -> None:
        if self.booking_url:
            button = Button(self._text_of("system.book_button"), url=self.booking_url)
            self._say_key(ctx, "system.book_text", buttons=((button,),))
        else:
            self._say_key(ctx, "system.no_booking", buttons=((self._menu_button(),),))

    def _hold_buttons(self) -> Rows:
        return (
            (self._system(SystemButton.RESUME, "system.resume_button"),),
            (self._system(SystemButton.SOS, "system.sos_button"),),
            (self._system(SystemButton.STOP, "system.stop_button"),),
        )

    def _system(self, button: SystemButton, label_key: str) -> Button:
        return Button(self._text_of(label_key), token=tokens.encode(button))
