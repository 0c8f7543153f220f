"""The crisis hold: a detection, the direct question and its answer, and help without a
conversation (an edited message, the database gone).

Every text is screened before anything else looks at it, together with the screen's
reading of the patient's last few messages. It is read once (``read``); the reading goes
with the event to each check it gets. A clear detection answers with the help lines
and holds the exercise (``Crisis``); an uncertain one asks the patient directly first, in
the words of its category (``Asked``). Only a clear "no" goes without the help lines.
"""

from __future__ import annotations

from bot import metrics
from bot.flow import answers
from bot.flow.engine.parts import Context, EngineParts
from bot.flow.engine.screening import Reading
from bot.shared import tokens
from bot.shared.conversation import Asked, Crisis, RecentRisk
from bot.shared.messages import ASKED_PREFIX, Inbound, OutboundMessage, SafetyEvent, Screening

#: How many earlier readings are kept for the next messages (with their time window).
RECENT_KEPT = 3
#: A direct question left this long without an answer has expired: the next message is
#: not read as its answer; the help lines are offered again first (docs/safety.md).
ASKED_EXPIRES_SECONDS = 30 * 60
#: A typed message of this many words (or one in another language) sets the language that
#: /sos and the words after a crisis answer come in; "ok" or "si" alone changes nothing.
LANGUAGE_WORDS = 3


def _screened_text(event: Inbound) -> str | None:
    if event.kind == "button":
        return None
    return event.text if event.kind == "text" else f"/{event.command} {event.text}"


class CrisisPart(EngineParts):
    asked_expires_seconds: float = ASKED_EXPIRES_SECONDS

    def read(self, event: Inbound) -> Reading | None:
        """Read ``event`` for crisis language, once: the caller passes the reading to every
        check the event gets (``holds_crisis``, ``handle``, the help lines without a
        database), so one message is never read twice. None: nothing to read (a button)."""
        text = _screened_text(event)
        if self.screener is None or text is None:
            return None
        return self.screener.read(text)

    def _reading(self, event: Inbound, read: Reading | None) -> Reading | None:
        """``read`` when this engine's screener made it; otherwise ``event`` read now (the
        caller had none, or a reload swapped the screener since)."""
        if read is not None and self.screener is not None and read.read_by(self.screener):
            return read
        return self.read(event)

    def screen(self, event: Inbound, read: Reading | None = None) -> SafetyEvent | None:
        """The crisis check alone, for when the conversation cannot be loaded.

        There the help lines go out at once (no question whose answer could be lost), so
        the event is stored as the answer it got: the category whose help was sent.
        ``read``: the event's reading (``read``), when the caller has it."""
        found = self._screen_alone(event, read)
        return found[0] if found else None

    def _screen_alone(
        self, event: Inbound, read: Reading | None
    ) -> tuple[SafetyEvent, str | None] | None:
        """The detection in ``event`` read without a conversation, and its language."""
        reading = self._reading(event, read)
        if self.screener is None or reading is None:
            return None
        screening = reading.decide(quiet=True)
        found = screening.event
        if found is None:
            return None
        if found.asked:
            found = SafetyEvent(
                self.screener.if_yes(found.category), found.rule_id[len(ASKED_PREFIX) :]
            )
        return found, screening.language

    def _screen_in_context(
        self, ctx: Context, event: Inbound, read: Reading | None = None
    ) -> Screening | None:
        """Screen ``event`` with the patient's last readings; keep this one's for the next."""
        reading = self._reading(event, read)
        if self.screener is None or reading is None:
            return None
        now = event.at or 0.0
        state = ctx.state
        answering = event.kind == "text" and bool(state.frames) and state.hold is None
        # The one place the window of earlier readings is drawn: read with, then kept.
        window = self.screener.context_seconds
        recent = [r for r in state.recent_risk if 0 <= now - r.at <= window] if now else []
        screening = reading.decide(
            recent, now, answering, learned_alone=not (answering and self._names_means(ctx))
        )
        if event.kind == "text" and (screening.language or screening.words >= LANGUAGE_WORDS):
            state.language = screening.language
        if now:
            if screening.probability and screening.event is None:
                recent.append(RecentRisk(now, round(screening.probability, 3), screening.category))
            state.recent_risk = recent[-RECENT_KEPT:]
        return screening

    def _crisis(
        self,
        ctx: Context,
        detection: SafetyEvent,
        asks: bool,
        language: str | None = None,
        unclear: bool = False,
    ) -> None:
        """Answer ``detection``: the direct question when ``asks``, otherwise the help
        lines; in ``language`` when one is given; ``unclear``: led by the words for a
        direct question without a clear answer."""
        assert self.screener is not None
        in_exercise = bool(ctx.state.frames)
        if asks and isinstance(ctx.state.hold, Crisis):
            # Already past a crisis answer: give the help lines again rather than asking.
            detection = SafetyEvent(
                self.screener.if_yes(detection.category), f"{detection.category}.after_crisis"
            )
            asks = False
        ctx.turn.safety_events.append(detection)
        if asks:
            metrics.DIRECT_QUESTIONS.labels(category=detection.category).inc()
            ctx.turn.messages.append(self.screener.question(detection.category, language))
            ctx.state.hold = Asked(detection.category, language)
            ctx.state.asked_at = ctx.now
            return
        plan = ctx.patient.safety_plan_html
        if plan is None and self.screener.shows_plan(detection.category):
            # The plan is loaded only for /sos; the caller puts it here when there is one.
            ctx.turn.safety_plan_at = len(ctx.turn.messages)
            ctx.turn.safety_plan_language = language
        ctx.turn.messages.extend(
            self.screener.crisis_messages(
                detection.category, in_exercise, plan, language, unclear=unclear
            )
        )
        ctx.state.hold = Crisis() if in_exercise else None

    def _answer_to_direct_question(self, ctx: Context, category: str, text: str) -> None:
        self._asked_answer(ctx, category, answers.answer_to_direct_question(text))

    def _asked_answer(self, ctx: Context, category: str, answer: str) -> None:
        """The patient answered (``yes``, ``no``) or sidestepped (``unclear``) the direct
        question. Only a clear "no" goes without the help lines."""
        assert self.screener is not None
        metrics.DIRECT_ANSWERS.labels(category=category, answer=answer).inc()
        hold = ctx.state.hold
        language = hold.language if isinstance(hold, Asked) else None
        if answer != "no":
            ctx.state.asked_intent = None
            target = self.screener.if_yes(category)
            event = SafetyEvent(target, f"{category}.{answer}")
            self._crisis(ctx, event, False, language, unclear=answer == "unclear")
            return
        ctx.state.hold = None
        ctx.turn.messages.append(OutboundMessage(self.screener.if_no(category, language)))
        if self._reconcile(ctx):
            return  # the exercise changed meanwhile; the patient was told and it restarted
        if ctx.state.frames:
            self._reask(ctx)
        elif not self._offer_kept_intent(ctx):
            self._add_buttons(ctx, ((self._menu_button(),),))

    def _flow_asks(self, ctx: Context, category: str, source: str) -> None:
        """A flow's answer asks for the direct question (``screen:`` in the flow file)."""
        self._crisis(ctx, SafetyEvent(category, f"{ASKED_PREFIX}flow:{source}"), True)

    def stateless_crisis_messages(
        self, event: Inbound, read: Reading | None = None
    ) -> list[OutboundMessage] | None:
        """The crisis answer for ``event`` where no conversation can be kept (the database is
        down, or an edited message): help lines straight away, never a question whose answer
        could not be read. None when the event holds no crisis. ``read``: its reading."""
        found = self._stateless_crisis(event, read)
        if found is None or self.screener is None:
            return None
        category, language = found
        return self.screener.crisis_messages(category, False, None, language)

    def holds_crisis(self, event: Inbound, read: Reading | None = None) -> bool:
        """Whether ``event`` gets crisis help (a cheap check before any database work).
        ``read``: the event's reading, passed on to ``handle`` after it."""
        return self._stateless_crisis(event, read) is not None

    def _stateless_crisis(
        self, event: Inbound, read: Reading | None
    ) -> tuple[str, str | None] | None:
        """The category whose help ``event`` gets without a conversation, and the language."""
        if self.screener is None:
            return None
        found = self._screen_alone(event, read)
        if found is not None:
            detection, language = found
            return self.screener.if_yes(detection.category), language
        if event.kind == "button":
            token = tokens.parse(event.button or "")
            if isinstance(token, tokens.AskedAnswer) and token.yes and self._asks(token.category):
                return self.screener.if_yes(token.category), None
        return None

    def sos_messages(
        self, in_exercise: bool, safety_plan_html: str | None = None, language: str | None = None
    ) -> list[OutboundMessage]:
        """The help lines for /sos, the patient's own plan first, in ``language`` (the one
        the patient last wrote in); needs no database."""
        if self.screener is None:
            raise RuntimeError("the coach was started without crisis resources")
        return self.screener.crisis_messages(None, in_exercise, safety_plan_html, language)

    def _question_expired(self, ctx: Context) -> bool:
        """Whether the waiting direct question was asked too long ago to be answered now."""
        asked_at = ctx.state.asked_at
        return (
            asked_at is not None
            and ctx.now is not None
            and ctx.now - asked_at > self.asked_expires_seconds
        )

    def _reoffer(self, ctx: Context, category: str) -> None:
        """The help lines again, gently, for a direct question that went unanswered; it is
        logged (category only) and never alerts: nobody said yes."""
        assert self.screener is not None
        hold = ctx.state.hold
        language = hold.language if isinstance(hold, Asked) else ctx.state.language
        target = self.screener.if_yes(category)
        ctx.turn.safety_events.append(SafetyEvent(target, f"{ASKED_PREFIX}expired:{category}"))
        ctx.turn.messages.extend(self.screener.reoffer(target, language))

    def _names_means(self, ctx: Context) -> bool:
        """Whether the question now waiting is one whose answers name means by design
        (``names_means: true``: the safety plan's "who could keep my gun")."""
        frame = ctx.state.current
        compiled = self.library.flows.get(frame.flow_id) if frame else None
        step = compiled.flow.steps.get(frame.step) if compiled and frame else None
        return step is not None and step.names_means

    def _asked_category(self, ctx: Context) -> str | None:
        """The category whose direct question the patient has not answered yet, if any."""
        hold = ctx.state.hold
        if isinstance(hold, Asked) and self._asks(hold.category):
            return hold.category
        return None

    def _asks(self, category: str) -> bool:
        """Is ``category`` (from a button or the stored hold) one that can still ask?"""
        return self.screener is not None and self.screener.can_ask(category)
