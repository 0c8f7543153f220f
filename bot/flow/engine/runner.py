"""Running flows: the frame stack, answers, re-asks and bringing old versions up to date.

Steps are entered one after another until one waits for an answer (its buttons carry the
next question number) or the conversation ends; ``call`` pushes a frame, ``end`` pops it.
"""

from __future__ import annotations

from bot.flow.answers import NotAnAnswer
from bot.flow.engine.measures import score_questionnaire
from bot.flow.engine.parts import Context, EngineParts
from bot.flow.engine.resume import RESUME_OFFER
from bot.flow.library import CompiledFlow
from bot.flow.machine import advance
from bot.flow.questionnaire_steps import CHECKED_STEP, SCORE_STEP
from bot.flow.questions import StillChoosing
from bot.flow.rules import say_items
from bot.flow.rules.records import recall_pairs
from bot.flow.schema import Pause, Recall, Step
from bot.flow.versions import meaning, reconcile_frames
from bot.shared import tokens
from bot.shared.content import format_value, render
from bot.shared.conversation import Frame
from bot.shared.messages import Button, JournalRecord, OutboundMessage

MAX_STEPS_PER_EVENT = 200
_MENU_TOKEN = tokens.encode(tokens.SystemButton.MENU)


class RunnerPart(EngineParts):
    def _start_flow(self, ctx: Context, flow_id: str, offer: bool = True) -> None:
        """Start ``flow_id`` from its first step; ``offer``: if the patient left it midway,
        ask first whether to pick up where they left off (bot.flow.engine.resume)."""
        compiled = self.library.flows[flow_id]
        if self._needs_consent(ctx, compiled):
            return
        if offer and self._offer_resume(ctx, flow_id):
            return
        if ctx.state.frames and ctx.state.frames[0].flow_id != flow_id:
            # Set aside to go back to (the same exercise again replaces itself).
            ctx.state.paused = ctx.state.frames
        ctx.state.frames = [Frame(compiled.id, compiled.version, compiled.flow.first_step)]
        ctx.state.hold = None
        self._run(ctx)

    def _needs_consent(self, ctx: Context, compiled: CompiledFlow) -> bool:
        """An exercise that keeps answers, for a patient who has not agreed to storage:
        say it needs /start (nothing of it runs, so nothing of it could be stored)."""
        if ctx.patient.consented or not compiled.keeps_answers:
            return False
        self._say_key(ctx, "system.needs_start", buttons=(self._way_back(),))
        return True

    def _answer(self, ctx: Context, button: str | None, text: str | None) -> None:
        frame = ctx.state.frames[-1]
        if frame.asks == RESUME_OFFER:
            self._resume_answer(ctx, button, text)
            return
        compiled = self.library.flows[frame.flow_id]
        step = compiled.flow.steps[frame.step]
        if not step.ask:
            self._reask(ctx)
            return
        try:
            answer = self.questions.read(step, frame, button, text)
        except NotAnAnswer as problem:
            self._retry(ctx, step, frame, problem, text)
            return
        if isinstance(answer, StillChoosing):
            keyboard = self.questions.buttons(ctx.state.question_number, step, frame)
            if button is not None:  # a tap: the same message's buttons, ticks changed
                ctx.turn.pressed = "replace"
                ctx.turn.keyboard = keyboard
                return
            # Typed words ticked: say what is ticked, with the buttons, so Done is at hand.
            said_back = render(self._text_of("system.multi_ticked"), {"ticked": answer.ticked})
            ctx.turn.messages.append(OutboundMessage(said_back, buttons=keyboard))
            return
        if step.save and answer.value is None and step.save in compiled.facts.recalled:
            pass  # skipped: keeps what recall: filled in (the patient's saved answer)
        elif step.save:
            frame.variables[step.save] = answer.value
            if answer.label is not None:
                frame.labels[step.save] = answer.label
            elif answer.value is None and step.ask == "text":
                # A box left empty reads "(skipped)" in the summary, not as a blank line.
                frame.labels[step.save] = self._text_of("system.skipped_answer")
            else:
                frame.labels.pop(step.save, None)
        frame.selection = []
        if button is not None:
            ctx.turn.pressed = "answered"
            ctx.turn.pressed_label = answer.label
            if answer.label is None:
                skipped = answer.value is None
                ctx.turn.pressed_label = (
                    self._text_of("system.skip") if skipped else format_value(answer.value)
                )
        choice = answer.choice
        answered = frame.step
        frame.step = advance(compiled.machine, frame.step, self._facts(frame), choice)
        screen = compiled.facts.screens.get(answered)
        if (
            step.screen is None
            or screen is None
            or not self._asks(step.screen.ask)
            or not screen(self._facts(frame))
        ):
            self._run(ctx)
            return
        # The answer calls for the direct question: it comes first. The flow moves on to
        # its next question silently (its entries are kept); a "no" shows that question.
        shown = len(ctx.turn.messages)
        self._run(ctx)
        del ctx.turn.messages[shown:]
        ctx.pending_pause = 0.0
        self._flow_asks(ctx, step.screen.ask, f"{compiled.id}.{answered}")

    def _run(self, ctx: Context) -> None:
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
                ctx.state.question_number += 1
                self._add_buttons(
                    ctx, self.questions.buttons(ctx.state.question_number, step, frame)
                )
                return
            if step.call:
                frame.asks = meaning(step)
                callee = self.library.flows[step.call]
                if self._needs_consent(ctx, callee):
                    ctx.state.frames = []
                    return
                ctx.state.frames.append(Frame(callee.id, callee.version, callee.flow.first_step))
                continue
            if step.start_flow:
                target = self.library.flows[step.start_flow]
                if self._needs_consent(ctx, target):
                    ctx.state.frames = []
                    return
                if self._offer_resume(ctx, target.id, leaving=True):
                    return
                ctx.state.frames = [Frame(target.id, target.version, target.flow.first_step)]
                continue
            if step.end:
                ctx.state.frames.pop()
                if not ctx.state.frames:
                    self._finish(ctx)
                    return
                caller = ctx.state.frames[-1]
                caller_flow = self.library.flows[caller.flow_id]
                caller.step = advance(caller_flow.machine, caller.step, self._facts(caller), None)
                continue
            frame.step = advance(compiled.machine, frame.step, self._facts(frame), None)
        raise RuntimeError("a flow went round without waiting for the patient")

    def _enter(self, ctx: Context, compiled: CompiledFlow, frame: Frame, step: Step) -> None:
        for name, value in (step.set or {}).items():
            frame.variables[name] = value
        if step.recall is not None:
            self._recall(ctx, frame, step.recall)
        variables = self._variables(ctx, frame)
        for item in say_items(step):
            if isinstance(item, Pause):
                ctx.pending_pause += item.pause
                continue
            self._send(ctx, render(self._template_of(item), variables, frame.labels))
        if step.text:
            self._send(ctx, render(step.text, variables, frame.labels))
        if compiled.flow.questionnaire is not None and frame.step in (CHECKED_STEP, SCORE_STEP):
            score_questionnaire(self, ctx, compiled, frame)
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

    def _recall(self, ctx: Context, frame: Frame, recall: Recall) -> None:
        """Fill in answers from the patient's latest entry of ``recall.kind`` (if any)."""
        read = ctx.patient.latest_entry
        entry = read(recall.kind) if read is not None else None
        found = False
        for entry_field, var in recall_pairs(recall):
            value = entry.get(entry_field) if entry is not None else None
            if value in (None, ""):
                # Shown as "(skipped)", as a box left empty reads in a summary, never as a
                # blank line under its heading.
                frame.variables.pop(var, None)
                frame.labels[var] = self._text_of("system.skipped_answer")
            else:
                frame.variables[var] = value
                frame.labels.pop(var, None)
                found = True
        if recall.found:
            # An entry with nothing in it (every question skipped) is no entry to show.
            frame.variables[recall.found] = "yes" if found else "no"

    def _finish(self, ctx: Context) -> None:
        """A top-level flow ended: always offer the way back to the menu."""
        if not any(b.token == _MENU_TOKEN for row in self._last_buttons(ctx) for b in row):
            self._add_buttons(ctx, (self._way_back(),))

    def _retry(
        self, ctx: Context, step: Step, frame: Frame, problem: NotAnAnswer, text: str | None
    ) -> None:
        """The question again, with what it needs; words that name a need ("panic attack"
        typed where a button was asked for) first get that exercise offered."""
        if text is not None:
            self._offer_detour(ctx, text, frame.flow_id)
        key = step.retry or problem.key
        values = {f"limit.{k}": v for k, v in problem.values.items()}
        text = render(self._text_of(key), {**self._variables(ctx, frame), **values}, frame.labels)
        buttons = self.questions.buttons(ctx.state.question_number, step, frame)
        ctx.turn.messages.append(OutboundMessage(text, buttons=buttons))

    def _reask(self, ctx: Context) -> None:
        """Show the current question again (after a command, a stale button, a crisis)."""
        frame = ctx.state.frames[-1]
        compiled = self.library.flows[frame.flow_id]
        step = compiled.flow.steps[frame.step]
        if frame.asks == RESUME_OFFER:
            # Shown again: the exercise is picked up, and the offer's buttons are stale.
            frame.asks = meaning(step)
            ctx.state.question_number += 1
        variables = self._variables(ctx, frame)
        texts = [
            render(self._template_of(item), variables, frame.labels)
            for item in say_items(step)
            if not isinstance(item, Pause)
        ]
        if step.text:
            texts.append(render(step.text, variables, frame.labels))
        question = (
            texts[-1]
            if texts
            else render(self._text_of("system.continue_button"), self._waiting_exercise(ctx))
        )
        buttons = self.questions.buttons(ctx.state.question_number, step, frame)
        ctx.turn.messages.append(OutboundMessage(question, buttons=buttons))

    def _reconcile(self, ctx: Context) -> bool:
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
                self._say_key(ctx, "system.flow_gone", buttons=(self._way_back(),))
            else:
                self._say_key(ctx, "system.flow_changed")
                self._start_flow(ctx, root)
        return changed
