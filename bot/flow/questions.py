"""A question's buttons, and reading an answer to it from a button or typed words.

What is common to every ``ask:`` kind lives here (the Skip button of an optional
question, and reading "skip"; a step's ``progress_button``); each kind's own buttons and
reading are in ``bot.flow.asks``, one class per kind behind ``ASK_KINDS``. The engine decides what
happens next.
"""

from __future__ import annotations

from bot.flow import answers
from bot.flow.asks import ASK_KINDS, COMMON_TIMEZONES, Answer, AskKind, Rows, StillChoosing
from bot.flow.asks.base import answer_token
from bot.flow.schema import Option, Step
from bot.shared import tokens
from bot.shared.content import Content
from bot.shared.conversation import Frame
from bot.shared.messages import Button

__all__ = ["COMMON_TIMEZONES", "Answer", "Questions", "StillChoosing"]

_SKIP_WORDS = frozenset({"skip", "/skip", "skip it", "skip this", "skip this one", "pass"})


class Questions:
    """Buttons and answer reading for every ``ask:`` kind, with the practice's texts."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.kinds: dict[str, AskKind] = {name: kind(content) for name, kind in ASK_KINDS.items()}

    def option_label(self, option: Option) -> str:
        return option.text if option.text is not None else self.content.get(option.label or "")

    def buttons(self, question_number: int, step: Step, frame: Frame) -> Rows:
        """The buttons under question ``question_number``; each carries that number."""
        rows: list[tuple[Button, ...]] = []
        kind = self.kinds.get(step.ask or "")
        if kind is not None:
            rows.extend(kind.buttons(question_number, step, frame))
        if step.optional:
            skip = Button(
                self.content.get("system.skip"), token=answer_token(question_number, "skip")
            )
            rows.append((skip,))
        if step.progress_button:  # below the answers, and again whenever they are re-shown
            label = self.content.get("system.progress_button")
            rows.append((Button(label, token=tokens.encode(tokens.SystemButton.PROGRESS)),))
        return tuple(rows)

    def read(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        """The answer in a button press or typed words; raises NotAnAnswer otherwise."""
        if step.optional and (button == "skip" or (text is not None and self._skips(text))):
            return Answer(None)
        return self.kinds[step.ask or "text"].read(step, frame, button, text)

    def _skips(self, text: str) -> bool:
        """Typed words that skip an optional question, the Skip button's own included (on a
        text question they would otherwise be saved as the answer)."""
        cleaned = " ".join(answers.clean_text(text).lower().strip(" .!").split())
        label = " ".join(self.content.get("system.skip").lower().split())
        return cleaned in _SKIP_WORDS or cleaned == label
