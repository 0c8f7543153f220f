"""Free text outside an exercise: the fitting exercise first, the menu below.

The crisis screen has read the text already (routing screens first); what is left is read
for what the patient needs through the ``IntentReader`` seam of ``bot.shared.intents``
(``content/intents.yaml``, read by ``bot.safety.intents``). A text that names no need gets
a kind reply and the menu, never a bare "pick something".
"""

from __future__ import annotations

from bot.flow.engine.parts import Context, EngineParts
from bot.shared import tokens
from bot.shared.content import render
from bot.shared.intents import Intent, IntentOffer
from bot.shared.messages import Button, OutboundMessage

__all__ = ["IntentsPart"]


class IntentsPart(EngineParts):
    def _free_text(self, ctx: Context, text: str) -> None:
        intent = self.intents.read(text) if self.intents is not None else None
        if not self._offer(ctx, intent):
            self._menu(ctx, intro="system.not_now")

    def _keep_intent(self, ctx: Context, text: str) -> None:
        """A message outside an exercise earned the direct question ("I feel like using"
        can read as risk): what else it asked for is kept (its id), to be offered after
        a clear "no" (``_offer_kept_intent``)."""
        if ctx.state.frames or self.intents is None:
            return
        intent = self.intents.read(text)
        # A greeting or thanks (no exercise of its own) is not answered after the question.
        ctx.state.asked_intent = intent.id if intent is not None and intent.offers else None

    def _offer_kept_intent(self, ctx: Context) -> bool:
        """After a clear "no": the exercise the message asked for, if one was kept."""
        kept, ctx.state.asked_intent = ctx.state.asked_intent, None
        if kept is None or ctx.state.frames or self.intents is None:
            return False
        return self._offer(ctx, self.intents.by_id(kept))

    def _offer_detour(self, ctx: Context, text: str, current: str) -> None:
        """Inside an exercise, words that are not the answer but name a need: its reply and
        exercises (not the one running; no menu), before the question is asked again.
        Pressing one leaves the exercise, which can be picked up later."""
        intent = self.intents.read(text) if self.intents is not None else None
        offered = self._offered(intent, leave_out=current)
        if intent is not None and offered:
            reply = render(intent.reply, ctx.patient.variables())
            ctx.turn.messages.append(OutboundMessage(reply, buttons=_rows(offered)))

    def _offer(self, ctx: Context, intent: Intent | None) -> bool:
        """The intent's reply, its exercises first and the menu below; False when its
        exercises were all removed since. An intent that offers none (a greeting, thanks)
        answers with the menu alone."""
        offered = self._offered(intent)
        if intent is None or (intent.offers and not offered):
            return False
        shown = {o.flow_id for o in offered}
        menu = tuple(row for row in self._menu_rows(ctx) if not _opens_one_of(row, shown))
        reply = render(intent.reply, ctx.patient.variables())
        ctx.turn.messages.append(OutboundMessage(reply, buttons=_rows(offered) + menu))
        return True

    def _offered(self, intent: Intent | None, leave_out: str | None = None) -> list[IntentOffer]:
        """The intent's exercises that exist (a flow removed since is left out)."""
        if intent is None:
            return []
        flows = self.library.flows
        return [o for o in intent.offers if o.flow_id in flows and o.flow_id != leave_out]


def _rows(offered: list[IntentOffer]) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(o.button, token=tokens.encode(tokens.OpenFlow(o.flow_id))),) for o in offered
    )


def _opens_one_of(row: tuple[Button, ...], flow_ids: set[str]) -> bool:
    """A menu row that opens a flow already offered above it (not shown twice)."""
    for button in row:
        token = tokens.parse(button.token or "")
        if isinstance(token, tokens.OpenFlow) and token.flow_id in flow_ids:
            return True
    return False
