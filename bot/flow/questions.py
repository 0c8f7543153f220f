"""A question's buttons, and reading an answer to it from a button or typed words.

Kept apart from the engine because this is the part a new answer kind touches: the
buttons a kind shows and how its answers are read. The engine decides what happens next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.flow import answers
from bot.flow.answers import NotAnAnswer
from bot.flow.schema import Option, Step
from bot.shared import tokens
from bot.shared.content import Content
from bot.shared.conversation import Frame
from bot.shared.messages import Button

__all__ = ["COMMON_TIMEZONES", "Answer", "Questions", "StillChoosing"]

Rows = tuple[tuple[Button, ...], ...]
SCALE_ROW = 6
COMMON_TIMEZONES = (
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Arizona"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
)


@dataclass(frozen=True)
class Answer:
    """A fitting answer: what is saved, the words shown for it, and the branch it picks."""

    value: Any
    label: str | None = None
    choice: str | None = None


class StillChoosing:
    """A tick on a multi-choice question: nothing is answered yet, the buttons change."""


class Questions:
    """Buttons and answer reading for every ``ask:`` kind, with the practice's texts."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def option_label(self, option: Option) -> str:
        return option.text if option.text is not None else self.content.get(option.label or "")

    def buttons(self, question_number: int, step: Step, frame: Frame) -> Rows:
        """The buttons under question ``question_number``; each carries that number."""
        turn = question_number
        text = self.content.get
        rows: list[tuple[Button, ...]] = []
        if step.ask in ("choice", "multi"):
            buttons = []
            for i, option in enumerate(step.options or ()):
                label = self.option_label(option)
                if step.ask == "multi" and option.value in frame.selection:
                    label = f"✓ {label}"
                buttons.append(Button(label, token=_answer(turn, str(i))))
            rows.extend(_rows(buttons))
            if step.ask == "multi":
                rows.append((Button(text("system.done"), token=_answer(turn, "done")),))
        elif step.ask == "scale":
            low, high = _scale_bounds(step)
            buttons = [Button(str(n), token=_answer(turn, f"v{n}")) for n in range(int(low), int(high) + 1)]
            rows.extend(tuple(buttons[i : i + SCALE_ROW]) for i in range(0, len(buttons), SCALE_ROW))
        elif step.ask == "yes_no":
            rows.append((Button(text("system.yes"), token=_answer(turn, "yes")), Button(text("system.no"), token=_answer(turn, "no"))))
        elif step.ask == "timezone":
            rows.extend(_rows(Button(label, token=_answer(turn, f"tz{i}")) for i, (_, label) in enumerate(COMMON_TIMEZONES)))
        if step.optional:
            rows.append((Button(text("system.skip"), token=_answer(turn, "skip")),))
        return tuple(rows)

    def read(self, step: Step, frame: Frame, button: str | None, text: str | None) -> Answer | StillChoosing:
        """The answer in a button press or typed words; raises NotAnAnswer otherwise."""
        if step.optional and (
            button == "skip" or (text is not None and answers.clean_text(text).lower() in ("skip", "/skip"))
        ):
            return Answer(None)
        options = step.options or []
        if step.ask == "choice":
            index = _button_index(button, len(options))
            if index is None and text is not None:
                value = answers.match_option(text, [(o.value, self.option_label(o)) for o in options])
                index = next((i for i, o in enumerate(options) if o.value == value), None)
            if index is None:
                raise NotAnAnswer("system.retry_choice")
            option = options[index]
            return Answer(option.value, self.option_label(option), option.value)
        if step.ask == "multi":
            return self._read_multi(step, frame, button, text)
        if step.ask == "scale":
            low, high = _scale_bounds(step)
            typed = button[1:] if button is not None and button.startswith("v") else text or ""
            return Answer(answers.parse_number(typed, low, high, whole=True))
        if step.ask == "yes_no":
            raw = button if button in ("yes", "no") else answers.parse_yes_no(text or "")
            return Answer(raw, self.content.get(f"system.{raw}"), raw)
        if step.ask == "timezone":
            if button is not None and button.startswith("tz") and button[2:].isdigit() and int(button[2:]) < len(COMMON_TIMEZONES):
                zone, label = COMMON_TIMEZONES[int(button[2:])]
                return Answer(zone, label)
            return Answer(answers.parse_timezone(text or ""))
        if button is not None:
            raise NotAnAnswer(f"system.retry_{'text' if step.ask == 'text' else step.ask}")
        if step.ask == "number":
            return Answer(answers.parse_number(text or "", step.min, step.max, whole=False))
        if step.ask == "time":
            return Answer(answers.parse_time(text or ""))
        return Answer(answers.parse_text(text or "", step.max_length))

    def _read_multi(self, step: Step, frame: Frame, button: str | None, text: str | None) -> Answer | StillChoosing:
        options = step.options or []
        if button == "done" or (
            text is not None and answers.clean_text(text).lower() in ("done", "ok", "that's all", "none")
        ):
            if not frame.selection and not step.optional and (text or "").strip().lower() != "none":
                raise NotAnAnswer("system.retry_multi")
            return self._chosen(options, frame.selection)
        index = _button_index(button, len(options))
        if index is not None:
            value = options[index].value
            if value in frame.selection:
                frame.selection.remove(value)
            else:
                frame.selection.append(value)
            return StillChoosing()
        if text is not None:
            pairs = [(o.value, self.option_label(o)) for o in options]
            picked = [answers.match_option(part, pairs) for part in text.replace(";", ",").split(",")]
            if picked and all(picked):
                return self._chosen(options, [p for p in picked if p])
        raise NotAnAnswer("system.retry_multi")

    def _chosen(self, options: list[Option], values: list[str]) -> Answer:
        chosen = [o for o in options if o.value in values]
        return Answer([o.value for o in chosen], ", ".join(self.option_label(o) for o in chosen))


def _scale_bounds(step: Step) -> tuple[float, float]:
    return (step.min if step.min is not None else 0, step.max if step.max is not None else 10)


def _button_index(button: str | None, count: int) -> int | None:
    if button is not None and button.isdigit() and int(button) < count:
        return int(button)
    return None


def _rows(buttons: Iterable[Button]) -> list[tuple[Button, ...]]:
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


def _answer(question_number: int, value: str) -> str:
    return tokens.encode(tokens.Answer(question_number, value))
