"""Leaving an exercise and coming back to it: pick up where you left off, or start over.

A patient who leaves an exercise midway (the menu, a command, another exercise) keeps its
frames: the current stack, or ``paused`` when another exercise took its place. Starting
that exercise again used to start it over and lose the answers; now the coach asks first.
The offer is a question of the exercise's own: its top frame's ``asks`` says the offer
waits (so a flow changed meanwhile starts over, as bot.flow.versions decides for any
question), and its buttons carry a question number like any answer (an old press is
stale). The answers so far live only as long as the conversation state does.
"""

from __future__ import annotations

from bot.flow import answers
from bot.flow.asks.base import answer_token
from bot.flow.engine.parts import Context, EngineParts
from bot.flow.rules import step_targets
from bot.flow.schema import Flow
from bot.shared.content import render
from bot.shared.conversation import Frame
from bot.shared.messages import Button, OutboundMessage

__all__ = ["PICK_UP", "RESUME_OFFER", "START_OVER", "ResumePart"]

#: A frame's ``asks`` while the offer waits for its answer.
RESUME_OFFER = "offer:resume"
PICK_UP = "pick_up"
START_OVER = "start_over"

#: Typed answers to the offer, as people write them (the buttons' numbers too).
_TYPED = {
    PICK_UP: {
        "1",
        "pick up",
        "pick up where i left off",
        "where i left off",
        "continue",
        "resume",
        "go on",
        "keep going",
        "carry on",
    },
    START_OVER: {
        "2",
        "start over",
        "restart",
        "start again",
        "begin again",
        "from the start",
        "from the beginning",
        "new",
    },
}


class ResumePart(EngineParts):
    def _offer_resume(self, ctx: Context, flow_id: str, leaving: bool = False) -> bool:
        """Ask "pick up or start over?" when ``flow_id`` was left midway; False when it
        was not (nothing answered yet), so it simply starts.

        ``leaving``: a flow's ``start_flow:`` step, which leaves the exercise open now for
        good; only an exercise set aside can be picked up then (a flow that starts itself
        again means to start over)."""
        state = ctx.state
        if not leaving and state.frames and state.frames[0].flow_id == flow_id:
            left = state.frames
        elif state.paused and state.paused[0].flow_id == flow_id:
            left = state.paused
        else:
            return False
        if not self._midway(left):
            return False
        if left is state.paused:
            # The exercise open now is set aside, as starting any other exercise does
            # (or, leaving it, is done with).
            state.paused, state.frames = ([] if leaving else state.frames), left
        state.hold = None
        left[-1].asks = RESUME_OFFER
        state.question_number += 1
        self._show_offer(ctx, "system.resume_offer")
        return True

    def _midway(self, frames: list[Frame]) -> bool:
        """Something a fresh start would lose that no journal entry has kept: an answer, a
        tick, or a place past the first question (buttons that save nothing, like the
        senses of self-soothing), at a step reached without passing a ``record:`` step.
        After its entry is written (a check-in on its closing offer) it starts over."""
        for frame in frames:
            compiled = self.library.flows.get(frame.flow_id)
            if compiled is None or frame.step not in _before_any_record(compiled.flow):
                continue
            saved = compiled.facts.saved
            first = _first_wait(compiled.flow)
            if (
                frame.selection
                or (first is not None and frame.step != first)
                or any(name in saved and saved[name].ask is not None for name in frame.variables)
            ):
                return True
        return False

    def _show_offer(self, ctx: Context, key: str) -> None:
        number = ctx.state.question_number
        rows = (
            (Button(self._text_of("system.resume_pick_up"), token=answer_token(number, PICK_UP)),),
            (
                Button(
                    self._text_of("system.resume_start_over"),
                    token=answer_token(number, START_OVER),
                ),
            ),
        )
        variables = {**ctx.patient.variables(), **self._waiting_exercise(ctx)}
        text = render(self._text_of(key), variables)
        ctx.turn.messages.append(OutboundMessage(text, buttons=rows))

    def _resume_answer(self, ctx: Context, button: str | None, text: str | None) -> None:
        """The answer to the offer: a button, its words or number; anything else re-asks."""
        choice = button if button in (PICK_UP, START_OVER) else None
        if choice is None and text is not None:
            cleaned = " ".join(answers.clean_text(text).lower().strip(" .!").split())
            labels = {
                PICK_UP: self._text_of("system.resume_pick_up"),
                START_OVER: self._text_of("system.resume_start_over"),
            }
            for value, words in _TYPED.items():
                if cleaned in words or cleaned == labels[value].lower():
                    choice = value
        if choice is None:
            self._show_offer(ctx, "system.retry_resume")
            return
        if button is not None:
            ctx.turn.pressed = "answered"
            ctx.turn.pressed_label = self._text_of(f"system.resume_{choice}")
        if choice == PICK_UP:
            self._reask(ctx)
            return
        flow_id = ctx.state.frames[0].flow_id
        ctx.state.frames = []
        self._start_flow(ctx, flow_id, offer=False)


def _before_any_record(flow: Flow) -> set[str]:
    """The steps a run reaches from the first without entering a step that records."""
    reached: set[str] = set()
    waiting = [flow.first_step]
    while waiting:
        name = waiting.pop()
        step = flow.steps.get(name)
        if name in reached or step is None or step.record is not None:
            continue
        reached.add(name)
        waiting.extend(step_targets(step))
    return reached


def _first_wait(flow: Flow) -> str | None:
    """Where a fresh start waits: the first step that asks or calls, when the way there
    is plain ``next:`` steps (None when a branch or a loop comes first)."""
    name: str | None = flow.first_step
    seen: set[str] = set()
    while name is not None and name not in seen:
        seen.add(name)
        step = flow.steps.get(name)
        if step is None or step.ask or step.call:
            return name
        name = step.next if isinstance(step.next, str) and not step.start_flow else None
    return None
