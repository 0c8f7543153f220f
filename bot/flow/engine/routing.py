"""The engine: one inbound event and a conversation in, one turn out.

It is pure: it reads a ConversationState and a PatientView, changes the state in place
and returns a Turn with the messages to send and the records to store. Loading and
saving (in one transaction) is the caller's job; see bot.coach.service. Every text is
screened for crisis language before anything else looks at it.

This module routes an event; the parts it is made of do the work: ``crisis`` (the hold
and the direct question), ``commands`` (commands and the coach's own buttons), ``intents`` (free
text outside an exercise, read after the crisis screen for the exercise that fits),
``resume`` (an exercise left midway and started again: pick up or start over) and
``runner`` (the flow stack, answers, re-asks, flow versions).
"""

from __future__ import annotations

from typing import Any

from bot.flow.engine.commands import CommandsPart
from bot.flow.engine.crisis import CrisisPart
from bot.flow.engine.intents import IntentsPart
from bot.flow.engine.parts import Context
from bot.flow.engine.resume import ResumePart
from bot.flow.engine.runner import RunnerPart
from bot.flow.engine.screening import Reading
from bot.shared import tokens
from bot.shared.conversation import ConversationState, Frame, PatientView
from bot.shared.messages import Inbound, Turn


class Engine(CrisisPart, CommandsPart, IntentsPart, ResumePart, RunnerPart):
    """Runs flows from a FlowLibrary. One instance serves every conversation."""

    def handle(
        self,
        state: ConversationState,
        patient: PatientView,
        event: Inbound,
        read: Reading | None = None,
    ) -> Turn:
        """Advance ``state`` by ``event``; the returned turn says what to send and store.
        ``read``: the event's crisis reading (``read``), when the caller took it already."""
        ctx = Context(state=state, patient=patient, turn=Turn(), now=event.at)
        # Whatever comes in stops the rest of a paced sequence on the channel.
        paced_until, state.paced_until = state.paced_until, None
        self._dispatch(ctx, event, _before(event.at, paced_until), read)
        if event.at is not None:
            paced = sum(m.pause_before for m in ctx.turn.messages)
            state.paced_until = event.at + paced if paced else None
        return ctx.turn

    def start(self, state: ConversationState, patient: PatientView, flow_id: str) -> Turn:
        """Start a flow without a patient message (a reminder opening the check-in)."""
        ctx = Context(state=state, patient=patient, turn=Turn())
        self._start_flow(ctx, flow_id, offer=False)
        return ctx.turn

    def start_at(
        self,
        state: ConversationState,
        patient: PatientView,
        flow_id: str,
        step: str,
        variables: dict[str, Any],
    ) -> Turn:
        """Start a flow at any step with given answers, to try a change (`coach chat --from`)."""
        ctx = Context(state=state, patient=patient, turn=Turn())
        compiled = self.library.flows[flow_id]
        state.frames = [Frame(compiled.id, compiled.version, step, dict(variables))]
        state.hold = None
        self._run(ctx)
        return ctx.turn

    def _dispatch(
        self, ctx: Context, event: Inbound, typed_too_soon: bool, read: Reading | None
    ) -> None:
        screening = self._screen_in_context(ctx, event, read)
        asked = self._asked_category(ctx)
        if asked is not None and self._question_expired(ctx) and not _answers_it(event):
            # Long unanswered: this message is not its answer. The help lines are offered
            # again, gently (unless this message gets the full answer anyway), then it goes on.
            if screening is None or screening.event is None or screening.asks:
                self._reoffer(ctx, asked)
            ctx.state.hold, ctx.state.asked_at, asked = None, None, None
            ctx.state.asked_intent = None
        if (
            screening is not None
            and screening.event is not None
            and not (screening.asks and asked is not None)
        ):
            # A reply to the direct question that would only earn a question again is
            # read as the answer (below): anything but a clear "no" gets the help lines.
            self._crisis(ctx, screening.event, screening.asks, screening.language)
            if screening.asks and event.kind == "text":
                self._keep_intent(ctx, event.text)
        elif asked is not None and event.kind == "text":
            # The answer to the direct question comes before anything else, even a flow change.
            self._answer_to_direct_question(ctx, asked, event.text)
        elif asked is not None and _leaves_the_question(event):
            # Going elsewhere with the question open is not a "no": the help lines first.
            self._asked_answer(ctx, asked, "unclear")
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


def _is_safety_button(raw: str) -> bool:
    """The help-lines and direct-question buttons: handled before a flow change is noticed."""
    token = tokens.parse(raw)
    return isinstance(token, tokens.AskedAnswer) or token == tokens.SystemAction(
        tokens.SystemButton.SOS.value
    )


def _answers_it(event: Inbound) -> bool:
    """A press of the direct question's own buttons: an answer however late it comes."""
    return event.kind == "button" and isinstance(
        tokens.parse(event.button or ""), tokens.AskedAnswer
    )


def _leaves_the_question(event: Inbound) -> bool:
    """A command or a menu/flow button while the direct question waits (not /sos)."""
    if event.kind == "command":
        return event.command != "sos"
    if event.kind != "button":
        return False
    token = tokens.parse(event.button or "")
    return isinstance(token, tokens.OpenFlow) or token in (
        tokens.SystemAction(tokens.SystemButton.MENU.value),
        tokens.SystemAction(tokens.SystemButton.STOP.value),
        tokens.SystemAction(tokens.SystemButton.RESUME.value),
        tokens.SystemAction(tokens.SystemButton.CONTINUE.value),
    )


def _before(at: float | None, until: float | None) -> bool:
    return at is not None and until is not None and at < until
