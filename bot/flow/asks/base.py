"""What an ``ask:`` kind is: the buttons it shows and how it reads an answer.

One class per kind (``choice``, ``multi``, ``scale``, ``yes_no``, ``timezone``, ``text``,
``number``, ``time``), registered by name in ``bot.flow.asks``. A new kind is one class
here and its name in the schema's ``AskKind``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.flow.answers import NotAnAnswer
from bot.flow.schema import Option, Step
from bot.shared import tokens
from bot.shared.content import Content
from bot.shared.conversation import Frame
from bot.shared.messages import Button

__all__ = ["Answer", "AskKind", "Rows", "StillChoosing", "answer_token", "rows_of"]

Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Answer:
    """A fitting answer: what is saved, the words shown for it, and the branch it picks."""

    value: Any
    label: str | None = None
    choice: str | None = None


@dataclass(frozen=True)
class StillChoosing:
    """A tick on a multi-choice question: nothing is answered yet, the buttons change.
    ``ticked``: the words of every answer ticked so far (said back after typed ones)."""

    ticked: str = ""


class AskKind:
    """One ``ask:`` kind. ``typed_only`` kinds have no buttons: a press is not an answer;
    ``numeric`` kinds save a number (conditions may compare them with < and >)."""

    name: ClassVar[str]
    typed_only: ClassVar[bool] = False
    numeric: ClassVar[bool] = False

    def __init__(self, content: Content) -> None:
        self.content = content

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        return []

    def read(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        """The answer in a press's value or typed words; raises NotAnAnswer otherwise."""
        if button is not None and self.typed_only:
            raise NotAnAnswer(f"system.retry_{self.name}")
        return self.read_answer(step, frame, button, text)

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        raise NotImplementedError

    def option_label(self, option: Option) -> str:
        return option.text if option.text is not None else self.content.get(option.label or "")


def answer_token(question_number: int, value: str) -> str:
    return tokens.encode(tokens.Answer(question_number, value))


def rows_of(buttons: Iterable[Button]) -> list[tuple[Button, ...]]:
    """Short labels two to a row, long ones alone, as a phone screen fits them."""
    rows: list[tuple[Button, ...]] = []
    pending: list[Button] = []
    for button in buttons:
        if len(button.label) > 18:
            if pending:
                rows.append(tuple(pending))
                pending = []
            rows.append((button,))
            continue
        pending.append(button)
        if len(pending) == 2:
            rows.append(tuple(pending))
            pending = []
    if pending:
        rows.append(tuple(pending))
    return rows
