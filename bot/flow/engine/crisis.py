"""The crisis hold: a detection, the direct question and its answer, and help without a
conversation (an edited message, the database gone).

Every text is screened before anything else looks at it; a detection answers with the
help lines and holds the exercise (``Crisis``), or, for worrying but unclear words, asks
the patient directly first (``Asked``). Only a clear "no" goes without the help lines.
"""

from __future__ import annotations

from bot.flow import answers
from bot.flow.engine.parts import Context, EngineParts
from bot.shared import tokens
from bot.shared.conversation import Asked, Crisis
from bot.shared.messages import Inbound, OutboundMessage, SafetyEvent


class CrisisPart(EngineParts):
    def screen(self, event: Inbound) -> SafetyEvent | None:
        """The crisis check alone, for when the conversation cannot be loaded."""
        if self.screener is None or event.kind == "button":
            return None
        text = event.text if event.kind == "text" else f"/{event.command} {event.text}"
        return self.screener.screen(text)

    def _crisis(self, ctx: Context, detection: SafetyEvent) -> None:
        assert self.screener is not None
        in_exercise = bool(ctx.state.frames)
        asks = self.screener.asks_first(detection.category)
        if asks and isinstance(ctx.state.hold, Crisis):
            # Already past a crisis answer: give the help lines again rather than asking.
            detection = SafetyEvent(
                self.screener.if_yes(detection.category), f"{detection.category}.after_crisis"
            )
            asks = False
        ctx.turn.safety_events.append(detection)
        ctx.turn.messages.extend(self.screener.crisis_messages(detection.category, in_exercise))
        if asks:
            ctx.state.hold = Asked(detection.category)
        else:
            ctx.state.hold = Crisis() if in_exercise else None

    def _answer_to_direct_question(self, ctx: Context, category: str, text: str) -> None:
        self._asked_answer(ctx, category, answers.answer_to_direct_question(text))

    def _asked_answer(self, ctx: Context, category: str, answer: str) -> None:
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
        elif event.kind == "button":
            token = tokens.parse(event.button or "")
            if isinstance(token, tokens.AskedAnswer) and token.yes:
                category = token.category
                if not self._asks(category):
                    return None
        if category is None:
            return None
        if self.screener.asks_first(category):
            category = self.screener.if_yes(category)
        return self.screener.crisis_messages(category, False)

    def sos_messages(
        self, in_exercise: bool, safety_plan_html: str | None = None
    ) -> list[OutboundMessage]:
        """The help lines for /sos, the patient's own plan first; needs no database."""
        if self.screener is None:
            raise RuntimeError("the coach was started without crisis resources")
        return self.screener.crisis_messages(None, in_exercise, safety_plan_html)

    def _asked_category(self, ctx: Context) -> str | None:
        """The category whose direct question the patient has not answered yet, if any."""
        hold = ctx.state.hold
        if isinstance(hold, Asked) and self._asks(hold.category):
            return hold.category
        return None

    def _asks(self, category: str) -> bool:
        """Is ``category`` (from a button or the stored hold) one that asks first, still?"""
        try:
            return self.screener is not None and self.screener.asks_first(category)
        except KeyError:
            return False
