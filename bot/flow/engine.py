"""The engine: one inbound event and a conversation in, one turn out.

It is pure: it reads a ConversationState and a PatientView, changes the state in place
and returns a Turn with the messages to send and the records to store. Loading and
saving (in one transaction) is the caller's job; see bot.service. Every text is screened
for crisis language before anything else looks at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.flow import answers
from bot.flow.answers import NotAnAnswer
from bot.shared.content import format_value, render
from bot.flow.library import CompiledFlow, FlowLibrary
from bot.flow.machine import advance
from bot.flow.questions import Questions, StillChoosing
from bot.flow.rules import say_items
from bot.flow.schema import Pause, SayKey, SayText, Step
from bot.shared.conversation import ConversationState, Frame, PatientView
from bot.shared.messages import (
    Button,
    Inbound,
    JournalRecord,
    OutboundMessage,
    SafetyEvent,
    Turn,
)
from bot.flow.versions import meaning, reconcile_frames

MAX_STEPS_PER_EVENT = 200
#: ``hold`` while the patient is asked directly about thoughts of ending their life.
ASKED = "asked:"


class Screener(Protocol):
    """The crisis check every text passes first (filled by bot.safety)."""

    def screen(self, text: str) -> SafetyEvent | None: ...

    def crisis_messages(
        self, category: str | None, in_exercise: bool, safety_plan_html: str | None = None
    ) -> list[OutboundMessage]: ...

    def asking_categories(self) -> list[str]:
        """The categories for worrying but unclear words: the patient is asked first."""
        ...

    def asks_first(self, category: str) -> bool: ...

    def if_yes(self, category: str) -> str:
        """The category whose help a "yes" to the direct question gets."""
        ...

    def if_no(self, category: str) -> str:
        """What the coach says to a "no" (HTML-safe)."""
        ...


@dataclass
class _Context:
    """What one call of handle works with."""

    state: ConversationState
    patient: PatientView
    turn: Turn
    pending_pause: float = 0.0


class Engine:
    """Runs flows from a FlowLibrary. One instance serves every conversation."""

    def __init__(
        self,
        library: FlowLibrary,
        screener: Screener | None = None,
        booking_url: str | None = None,
    ) -> None:
        self.library = library
        self.questions = Questions(library.content)
        self.screener = screener
        self.booking_url = booking_url

    # -- entry points -------------------------------------------------------------

    def screen(self, event: Inbound) -> SafetyEvent | None:
        """The crisis check alone, for when the conversation cannot be loaded."""
        if self.screener is None or event.kind == "button":
            return None
        text = event.text if event.kind == "text" else f"/{event.command} {event.text}"
        return self.screener.screen(text)

    def handle(self, state: ConversationState, patient: PatientView, event: Inbound) -> Turn:
        """Advance ``state`` by ``event``; the returned turn says what to send and store."""
        ctx = _Context(state=state, patient=patient, turn=Turn())
        # Whatever comes in stops the rest of a paced sequence on the channel.
        paced_until, state.paced_until = state.paced_until, None
        self._dispatch(ctx, event, typed_too_soon=_before(event.at, paced_until))
        if event.at is not None:
            paced = sum(m.pause_before for m in ctx.turn.messages)
            state.paced_until = event.at + paced if paced else None
        return ctx.turn

    def _dispatch(self, ctx: _Context, event: Inbound, typed_too_soon: bool) -> None:
        detection = self.screen(event)
        asked = self._asked_category(ctx)
        if detection is not None:
            self._crisis(ctx, detection)
        elif asked is not None and event.kind == "text":
            # The answer to the direct question comes before anything else, even a flow change.
            self._asked_answer(ctx, asked, answers.answer_to_direct_question(event.text))
        elif event.kind == "button" and _is_safety_button(event.button or ""):
            self._button(ctx, event.button or "")
        elif self._reconcile(ctx) and event.kind != "command":
            return  # the answer was for a question that no longer exists
        elif event.kind == "command":
            self._command(ctx, event.command or "", event.text)
        elif event.kind == "button":
            self._button(ctx, event.button or "")
        elif typed_too_soon and ctx.state.frames and ctx.state.hold is None:
            # The question at the end of the cues was never shown: show it, don't fill it.
            self._say_key(ctx, "system.paced_interrupted")
            self._reask(ctx)
        else:
            self._text(ctx, event.text)

    def start(self, state: ConversationState, patient: PatientView, flow_id: str) -> Turn:
        """Start a flow without a patient message (a reminder opening the check-in)."""
        ctx = _Context(state=state, patient=patient, turn=Turn())
        self._start_flow(ctx, flow_id)
        return ctx.turn

    def start_at(
        self, state: ConversationState, patient: PatientView, flow_id: str, step: str, variables: dict[str, Any]
    ) -> Turn:
        """Start a flow at any step with given answers, to try a change (`coach chat --from`)."""
        ctx = _Context(state=state, patient=patient, turn=Turn())
        compiled = self.library.flows[flow_id]
        state.frames, state.hold = [Frame(compiled.id, compiled.version, step, dict(variables))], None
        self._run(ctx)
        return ctx.turn

    # -- safety ---------------------------------------------------------------------

    def _crisis(self, ctx: _Context, detection: SafetyEvent) -> None:
        assert self.screener is not None
        in_exercise = bool(ctx.state.frames)
        asks = self.screener.asks_first(detection.category)
        if asks and ctx.state.hold == "crisis":
            # Already past a crisis answer: give the help lines again rather than asking.
            detection = SafetyEvent(self.screener.if_yes(detection.category), f"{detection.category}.after_crisis")
            asks = False
        ctx.turn.safety_events.append(detection)
        ctx.turn.messages.extend(self.screener.crisis_messages(detection.category, in_exercise))
        if asks:
            ctx.state.hold = ASKED + detection.category
        else:
            ctx.state.hold = "crisis" if in_exercise else None

    def _asked_answer(self, ctx: _Context, category: str, answer: str) -> None:
        """The patient answered (``yes``, ``no``) or sidestepped (``unclear``) the direct
        question about ending their life. Only a clear "no" goes without the help lines."""
        assert self.screener is not None
        if answer != "no":
            self._crisis(ctx, SafetyEvent(self.screener.if_yes(category), f"{category}.{answer}"))
            return
        ctx.state.hold = None
        ctx.turn.messages.append(OutboundMessage(self.screener.if_no(category)))
        if self._reconcile(ctx):
            return  # the exercise changed meanwhile; the patient was told and it restarted
        if ctx.state.frames:
            self._reask(ctx)
        else:
            self._add_buttons(ctx, ((self._menu_button(),),))

    # -- commands and buttons ---------------------------------------------------------

    def _command(self, ctx: _Context, command: str, args: str) -> None:
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
            self._say_key(ctx, "system.help", buttons=((self._menu_button(),),))
        else:
            compiled = self.library.by_command(command)
            if compiled is None:
                self._say_key(ctx, "system.unknown_command", buttons=((self._menu_button(),),))
            else:
                self._start_flow(ctx, compiled.id)

    def _button(self, ctx: _Context, token: str) -> None:
        kind, _, payload = token.partition(":")
        if kind == "flow" and payload in self.library.flows:
            ctx.turn.pressed = "answered"
            self._start_flow(ctx, payload)
        elif kind == "sys":
            ctx.turn.pressed = "answered"
            self._system_button(ctx, payload)
        elif kind.isdigit() and self._asked_category(ctx) is not None:
            # An exercise button while the direct question is open: not a "no", so help.
            ctx.turn.pressed = "stale"
            self._asked_answer(ctx, self._asked_category(ctx) or "", "unclear")
        elif kind.isdigit() and int(kind) == ctx.state.turn and ctx.state.frames:
            ctx.state.hold = None
            self._answer(ctx, button=payload, text=None)
        else:
            ctx.turn.pressed = "stale"
            self._say_key(ctx, "system.stale_button")
            if ctx.state.frames and ctx.state.hold is None:
                self._reask(ctx)

    def _system_button(self, ctx: _Context, payload: str) -> None:
        if payload == "menu":
            self._menu(ctx)
        elif payload in ("continue", "resume"):
            ctx.state.hold = None
            self._continue(ctx)
        elif payload == "stop":
            ctx.state.hold = None
            self._cancel(ctx)
        elif payload == "sos":
            self._sos(ctx)
        elif payload == "book":
            self._book(ctx)
        elif payload.startswith(("asked_yes:", "asked_no:")) and self._asks(payload.partition(":")[2]):
            answer, _, category = payload.partition(":")
            self._asked_answer(ctx, category, "yes" if answer == "asked_yes" else "no")
        else:
            ctx.turn.pressed = "stale"
            self._say_key(ctx, "system.stale_button")

    def _text(self, ctx: _Context, text: str) -> None:
        if ctx.state.hold == "crisis" and ctx.state.frames:
            self._say_key(ctx, "system.after_crisis", buttons=self._hold_buttons())
            return
        if not ctx.state.frames:
            self._menu(ctx, intro="system.not_now")
            return
        self._answer(ctx, button=None, text=text)

    def _menu(self, ctx: _Context, intro: str = "system.menu_title") -> None:
        rows: list[tuple[Button, ...]] = []
        current = ctx.state.current or (ctx.state.paused[-1] if ctx.state.paused else None)
        if current is not None and current.flow_id in self.library.flows:
            rows.append((Button(self._text_of("system.continue_button"), token="sys:continue"),))
        for compiled in self.library.menu():
            assert compiled.flow.start.menu is not None
            rows.append(
                (Button(self._text_of(compiled.flow.start.menu), token=f"flow:{compiled.id}"),)
            )
        self._say_key(ctx, intro, buttons=tuple(rows))

    def _cancel(self, ctx: _Context) -> None:
        if not ctx.state.frames:
            self._say_key(ctx, "system.nothing_to_cancel", buttons=((self._menu_button(),),))
            return
        ctx.state.frames = []
        ctx.state.hold = None
        self._say_key(ctx, "system.cancelled", buttons=((self._menu_button(),),))

    def _continue(self, ctx: _Context) -> None:
        if not ctx.state.frames and ctx.state.paused:
            ctx.state.frames, ctx.state.paused = ctx.state.paused, []
            if self._reconcile(ctx):
                return
        if not ctx.state.frames:
            self._say_key(ctx, "system.nothing_to_continue", buttons=((self._menu_button(),),))
            return
        self._reask(ctx)

    def _sos(self, ctx: _Context) -> None:
        ctx.turn.messages.extend(
            self.sos_messages(in_exercise=bool(ctx.state.frames), safety_plan_html=ctx.patient.safety_plan_html)
        )

    def stateless_crisis_messages(self, event: Inbound) -> list[OutboundMessage] | None:
        """The crisis answer for ``event`` where no conversation can be kept (the database is
        down, or an edited message): help lines straight away, never a question whose answer
        could not be read. None when the event holds no crisis."""
        if self.screener is None:
            return None
        category: str | None = None
        detection = self.screen(event)
        if detection is not None:
            category = detection.category
        elif event.kind == "button" and (event.button or "").startswith("sys:asked_yes:"):
            category = (event.button or "").removeprefix("sys:asked_yes:")
            if not self._asks(category):
                return None
        if category is None:
            return None
        if self.screener.asks_first(category):
            category = self.screener.if_yes(category)
        return self.screener.crisis_messages(category, False)

    def sos_messages(self, in_exercise: bool, safety_plan_html: str | None = None) -> list[OutboundMessage]:
        """The help lines for /sos, the patient's own plan first; needs no database."""
        if self.screener is None:
            raise RuntimeError("the coach was started without crisis resources")
        return self.screener.crisis_messages(None, in_exercise, safety_plan_html)

    def _book(self, ctx: _Context) -> None:
        if self.booking_url:
            button = Button(self._text_of("system.book_button"), url=self.booking_url)
            self._say_key(ctx, "system.book_text", buttons=((button,),))
        else:
            self._say_key(ctx, "system.no_booking")

    def _hold_buttons(self) -> tuple[tuple[Button, ...], ...]:
        return (
            (Button(self._text_of("system.resume_button"), token="sys:resume"),),
            (Button(self._text_of("system.sos_button"), token="sys:sos"),),
            (Button(self._text_of("system.stop_button"), token="sys:stop"),),
        )

    # -- running flows ------------------------------------------------------------------

    def _start_flow(self, ctx: _Context, flow_id: str) -> None:
        compiled = self.library.flows[flow_id]
        if ctx.state.frames:
            ctx.state.paused = ctx.state.frames
        ctx.state.frames = [Frame(compiled.id, compiled.version, compiled.flow.first_step)]
        ctx.state.hold = None
        self._run(ctx)

    def _answer(self, ctx: _Context, button: str | None, text: str | None) -> None:
        frame = ctx.state.frames[-1]
        compiled = self.library.flows[frame.flow_id]
        step = compiled.flow.steps[frame.step]
        if not step.ask:
            self._reask(ctx)
            return
        try:
            answer = self.questions.read(step, frame, button, text)
        except NotAnAnswer as problem:
            self._retry(ctx, step, frame, problem)
            return
        if isinstance(answer, StillChoosing):
            ctx.turn.pressed = "replace"
            ctx.turn.keyboard = self.questions.buttons(ctx.state.turn, step, frame)
            return
        if step.save:
            frame.variables[step.save] = answer.value
            if answer.label is not None:
                frame.labels[step.save] = answer.label
            else:
                frame.labels.pop(step.save, None)
        frame.selection = []
        if button is not None:
            ctx.turn.pressed = "answered"
            ctx.turn.pressed_label = answer.label
            if answer.label is None:
                skipped = answer.value is None
                ctx.turn.pressed_label = self._text_of("system.skip") if skipped else format_value(answer.value)
        choice = answer.choice
        frame.step = advance(compiled.machine, frame.step, frame.variables, choice)
        self._run(ctx)

    def _run(self, ctx: _Context) -> None:
        """Enter steps until one waits for an answer or the conversation ends."""
        for _ in range(MAX_STEPS_PER_EVENT):
            if not ctx.state.frames:
                return
            frame = ctx.state.frames[-1]
            compiled = self.library.flows[frame.flow_id]
            step = compiled.flow.steps[frame.step]
            self._enter(ctx, compiled, frame, step)
            if step.ask:
                frame.asks = meaning(step)
                ctx.state.turn += 1
                self._add_buttons(ctx, self.questions.buttons(ctx.state.turn, step, frame))
                return
            if step.call:
                frame.asks = meaning(step)
                callee = self.library.flows[step.call]
                ctx.state.frames.append(Frame(callee.id, callee.version, callee.flow.first_step))
                continue
            if step.start_flow:
                target = self.library.flows[step.start_flow]
                ctx.state.frames = [Frame(target.id, target.version, target.flow.first_step)]
                continue
            if step.end:
                ctx.state.frames.pop()
                if not ctx.state.frames:
                    self._finish(ctx)
                    return
                caller = ctx.state.frames[-1]
                caller_flow = self.library.flows[caller.flow_id]
                caller.step = advance(caller_flow.machine, caller.step, caller.variables, None)
                continue
            frame.step = advance(compiled.machine, frame.step, frame.variables, None)
        raise RuntimeError("a flow went round without waiting for the patient")

    def _enter(self, ctx: _Context, compiled: CompiledFlow, frame: Frame, step: Step) -> None:
        for name, value in (step.set or {}).items():
            frame.variables[name] = value
        variables = self._variables(ctx, frame)
        for item in say_items(step):
            if isinstance(item, Pause):
                ctx.pending_pause += item.pause
                continue
            self._send(ctx, render(self._template_of(item), variables, frame.labels))
        if step.text:
            self._send(ctx, render(step.text, variables, frame.labels))
        if step.record:
            fields = step.record.fields
            pairs = fields.items() if isinstance(fields, dict) else ((f, f) for f in fields)
            data = {out: frame.variables.get(var) for out, var in pairs}
            ctx.turn.records.append(
                JournalRecord(step.record.kind, compiled.id, compiled.version, data)
            )
        for profile_field, var in (step.profile or {}).items():
            ctx.turn.profile_updates[profile_field] = frame.variables.get(var)
        extra: list[tuple[Button, ...]] = []
        if step.booking_button and self.booking_url:
            extra.append((Button(self._text_of("system.book_button"), url=self.booking_url),))
        if step.menu_button and not step.end:
            extra.append((self._menu_button(),))
        if extra:
            self._add_buttons(ctx, tuple(extra))

    def _finish(self, ctx: _Context) -> None:
        """A top-level flow ended: always offer the way back to the menu."""
        if not any(b.token == "sys:menu" for row in self._last_buttons(ctx) for b in row):
            self._add_buttons(ctx, ((self._menu_button(),),))

    # -- questions -----------------------------------------------------------------------

    def _retry(self, ctx: _Context, step: Step, frame: Frame, problem: NotAnAnswer) -> None:
        key = step.retry or problem.key
        values = {f"limit.{k}": v for k, v in problem.values.items()}
        text = render(self._text_of(key), {**self._variables(ctx, frame), **values}, frame.labels)
        ctx.turn.messages.append(
            OutboundMessage(text, buttons=self.questions.buttons(ctx.state.turn, step, frame))
        )

    def _reask(self, ctx: _Context) -> None:
        """Show the current question again (after a command, a stale button, a crisis)."""
        frame = ctx.state.frames[-1]
        compiled = self.library.flows[frame.flow_id]
        step = compiled.flow.steps[frame.step]
        variables = self._variables(ctx, frame)
        texts = [
            render(self._template_of(item), variables, frame.labels)
            for item in say_items(step)
            if not isinstance(item, Pause)
        ]
        if step.text:
            texts.append(render(step.text, variables, frame.labels))
        question = texts[-1] if texts else self._text_of("system.continue_button")
        ctx.turn.messages.append(
            OutboundMessage(question, buttons=self.questions.buttons(ctx.state.turn, step, frame))
        )

    # -- flow versions ----------------------------------------------------------------------

    def _reconcile(self, ctx: _Context) -> bool:
        """Bring a conversation started on an older flow version onto the current one.

        Returns True when the current exercise had to restart or stop (the patient was told).
        """
        changed = False
        for frames in (ctx.state.frames, ctx.state.paused):
            if not frames:
                continue
            outcome = reconcile_frames(self.library, frames)
            if outcome == "ok":
                continue
            root = frames[0].flow_id
            frames.clear()
            if frames is ctx.state.paused:
                continue
            ctx.state.hold = None
            changed = True
            if outcome == "gone" or root not in self.library.flows:
                self._say_key(ctx, "system.flow_gone", buttons=((self._menu_button(),),))
            else:
                self._say_key(ctx, "system.flow_changed")
                self._start_flow(ctx, root)
        return changed

    # -- small helpers ----------------------------------------------------------------------

    def _asked_category(self, ctx: _Context) -> str | None:
        """The category whose direct question the patient has not answered yet, if any."""
        hold = ctx.state.hold or ""
        category = hold[len(ASKED):]
        return category if hold.startswith(ASKED) and self._asks(category) else None

    def _asks(self, category: str) -> bool:
        """Is ``category`` (from a button or the stored hold) one that asks first, still?"""
        try:
            return self.screener is not None and self.screener.asks_first(category)
        except KeyError:
            return False

    def _variables(self, ctx: _Context, frame: Frame) -> dict[str, Any]:
        return {**ctx.patient.variables(), **frame.variables}

    def _template_of(self, item: SayText | SayKey | str) -> str:
        """The words of one say: item, before saved answers are filled in."""
        if isinstance(item, SayText):
            return item.text
        return self._text_of(item.say if isinstance(item, SayKey) else item)

    def _text_of(self, key: str) -> str:
        return self.library.content.get(key)

    def _menu_button(self) -> Button:
        return Button(self._text_of("system.menu_button"), token="sys:menu")

    def _say_key(
        self, ctx: _Context, key: str, buttons: tuple[tuple[Button, ...], ...] = ()
    ) -> None:
        text = render(self._text_of(key), ctx.patient.variables())
        ctx.turn.messages.append(OutboundMessage(text, buttons=buttons))

    def _send(self, ctx: _Context, text: str) -> None:
        ctx.turn.messages.append(OutboundMessage(text, pause_before=ctx.pending_pause))
        ctx.pending_pause = 0.0

    def _last_buttons(self, ctx: _Context) -> tuple[tuple[Button, ...], ...]:
        return ctx.turn.messages[-1].buttons if ctx.turn.messages else ()

    def _add_buttons(self, ctx: _Context, rows: tuple[tuple[Button, ...], ...]) -> None:
        """Put buttons under the last message sent in this turn (or a fresh one)."""
        if not rows:
            return
        if ctx.turn.messages and ctx.turn.messages[-1].kind == "normal":
            last = ctx.turn.messages[-1]
            ctx.turn.messages[-1] = OutboundMessage(
                last.text, buttons=last.buttons + rows, pause_before=last.pause_before
            )
        else:
            ctx.turn.messages.append(OutboundMessage(self._text_of("system.choose"), buttons=rows))


def _is_safety_button(token: str) -> bool:
    """The help-lines and direct-question buttons: handled before a flow change is noticed."""
    return token == "sys:sos" or token.startswith(("sys:asked_yes:", "sys:asked_no:"))


def _before(at: float | None, until: float | None) -> bool:
    return at is not None and until is not None and at < until
