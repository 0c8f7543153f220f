"""What every part of the engine shares: the context of one event, and saying things.

The engine is one class put together from parts (``crisis``, ``commands``, ``runner``)
that call each other through ``self``; this base holds their common state and helpers and
declares, for the type checker, the methods one part calls on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.flow.library import FlowLibrary
from bot.flow.practice import practice_variables
from bot.flow.questions import Questions
from bot.flow.schema import SayKey, SayText
from bot.shared import tokens
from bot.shared.content import render, render_label
from bot.shared.conversation import ConversationState, Frame, PatientView
from bot.shared.intents import IntentReader
from bot.shared.messages import Button, OutboundMessage, Turn

if TYPE_CHECKING:
    from bot.flow.engine.screening import Screener

Rows = tuple[tuple[Button, ...], ...]


@dataclass
class Context:
    """What one call of handle works with."""

    state: ConversationState
    patient: PatientView
    turn: Turn
    pending_pause: float = 0.0
    #: When the event came (seconds since the epoch), if the channel said.
    now: float | None = None


class EngineParts:
    """State and output helpers shared by the engine's parts."""

    def __init__(
        self,
        library: FlowLibrary,
        screener: Screener | None = None,
        booking_url: str | None = None,
        coach_facts: dict[str, str] | None = None,
        intents: IntentReader | None = None,
        practice_phone: str | None = None,
        practice_phone_after_hours: str | None = None,
    ) -> None:
        self.library = library
        self.questions = Questions(library.content)
        self.screener = screener
        self.booking_url = booking_url
        #: What the coach tells every flow's conditions (COACH_FACTS, e.g. coach_oncall).
        self.coach_facts = coach_facts or {"coach_oncall": "no"}
        #: Reads free text outside an exercise for what would help (content/intents.yaml).
        self.intents = intents
        #: What the coach tells every text: the practice's phone numbers (bot.flow.practice).
        self.coach_texts = practice_variables(
            library.content, practice_phone, practice_phone_after_hours
        )

    if TYPE_CHECKING:
        # Defined by the other parts; declared here so each part type-checks alone.
        def _reask(self, ctx: Context) -> None: ...
        def _reconcile(self, ctx: Context) -> bool: ...
        def _start_flow(self, ctx: Context, flow_id: str, offer: bool = True) -> None: ...
        def _offer_resume(self, ctx: Context, flow_id: str, leaving: bool = False) -> bool: ...
        def _resume_answer(self, ctx: Context, button: str | None, text: str | None) -> None: ...
        def _answer(self, ctx: Context, button: str | None, text: str | None) -> None: ...
        def _menu(self, ctx: Context, intro: str = "system.menu_title") -> None: ...
        def _menu_rows(self, ctx: Context) -> Rows: ...
        def _free_text(self, ctx: Context, text: str) -> None: ...
        def _keep_intent(self, ctx: Context, text: str) -> None: ...
        def _offer_kept_intent(self, ctx: Context) -> bool: ...
        def _offer_detour(self, ctx: Context, text: str, current: str) -> None: ...
        def _crisis(
            self,
            ctx: Context,
            detection: Any,
            asks: bool,
            language: str | None = None,
            unclear: bool = False,
        ) -> None: ...
        def _asked_answer(self, ctx: Context, category: str, answer: str) -> None: ...
        def _asked_category(self, ctx: Context) -> str | None: ...
        def _asks(self, category: str) -> bool: ...
        def _flow_asks(self, ctx: Context, category: str, source: str) -> None: ...
        def sos_messages(
            self,
            in_exercise: bool,
            safety_plan_html: str | None = None,
            language: str | None = None,
        ) -> list[OutboundMessage]: ...

    def _facts(self, frame: Frame) -> dict[str, Any]:
        """What a condition reads: the frame's saved answers and the coach's own facts."""
        return {**frame.variables, **self.coach_facts}

    def _variables(self, ctx: Context, frame: Frame) -> dict[str, Any]:
        return {**ctx.patient.variables(), **self.coach_texts, **frame.variables}

    def _template_of(self, item: SayText | SayKey | str) -> str:
        """The words of one say: item, before saved answers are filled in."""
        if isinstance(item, SayText):
            return item.text
        return self._text_of(item.say if isinstance(item, SayKey) else item)

    def _text_of(self, key: str) -> str:
        return self.library.content.get(key)

    def _menu_button(self) -> Button:
        return Button(
            self._text_of("system.menu_button"), token=tokens.encode(tokens.SystemButton.MENU)
        )

    def _way_back(self) -> tuple[Button, ...]:
        """Menu, and beside it the flows marked ``beside_menu`` (All the skills): the row
        offered when nothing runs (an exercise ended, /cancel, /help), so that any skill is
        two taps away."""
        beside = tuple(
            Button(
                self._text_of(c.flow.start.menu or ""), token=tokens.encode(tokens.OpenFlow(c.id))
            )
            for c in self.library.beside_menu()
        )
        return (self._menu_button(), *beside)

    def _waiting_frame(self, ctx: Context) -> Frame | None:
        """The exercise the patient started that waits (running, else paused): the outermost
        frame, so a skill opened inside "I'm struggling right now" is not named instead."""
        frames = ctx.state.frames or ctx.state.paused
        return frames[0] if frames else None

    def _waiting_exercise(self, ctx: Context) -> dict[str, str]:
        """``{exercise}`` for the texts about the exercise that waits (Continue, the offer to
        pick it up): the words of its menu button, as the patient knows it, else its title."""
        waiting = self._waiting_frame(ctx)
        compiled = self.library.flows.get(waiting.flow_id) if waiting is not None else None
        if compiled is None:
            return {"exercise": ""}
        menu = compiled.flow.start.menu
        return {"exercise": self._text_of(menu) if menu else compiled.flow.title}

    def _continue_words(self, ctx: Context) -> str:
        """The Continue button's words (plain text), naming the exercise that waits."""
        return render_label(self._text_of("system.continue_button"), self._waiting_exercise(ctx))

    def _say_key(self, ctx: Context, key: str, buttons: Rows = ()) -> None:
        text = render(self._text_of(key), ctx.patient.variables())
        ctx.turn.messages.append(OutboundMessage(text, buttons=buttons))

    def _send(self, ctx: Context, text: str) -> None:
        ctx.turn.messages.append(OutboundMessage(text, pause_before=ctx.pending_pause))
        ctx.pending_pause = 0.0

    def _last_buttons(self, ctx: Context) -> Rows:
        return ctx.turn.messages[-1].buttons if ctx.turn.messages else ()

    def _add_buttons(self, ctx: Context, rows: Rows) -> None:
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
