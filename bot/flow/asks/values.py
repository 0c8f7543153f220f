"""The asks answered by a value: ``scale``, ``yes_no`` and ``timezone`` (buttons or words),
``text``, ``number`` and ``time`` (words only)."""

from __future__ import annotations

from bot.flow import answers
from bot.flow.asks.base import Answer, AskKind, StillChoosing, answer_token, rows_of
from bot.flow.schema import Step
from bot.shared.conversation import Frame
from bot.shared.messages import Button

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


class Scale(AskKind):
    name = "scale"
    numeric = True

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        low, high = scale_bounds(step)
        buttons = [
            Button(str(n), token=answer_token(question_number, f"v{n}"))
            for n in range(int(low), int(high) + 1)
        ]
        return [tuple(buttons[i : i + SCALE_ROW]) for i in range(0, len(buttons), SCALE_ROW)]

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        low, high = scale_bounds(step)
        typed = button[1:] if button is not None and button.startswith("v") else text or ""
        return Answer(answers.parse_number(typed, low, high, whole=True))


class YesNo(AskKind):
    name = "yes_no"

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        text = self.content.get
        return [
            (
                Button(text("system.yes"), token=answer_token(question_number, "yes")),
                Button(text("system.no"), token=answer_token(question_number, "no")),
            )
        ]

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        raw = button if button in ("yes", "no") else answers.parse_yes_no(text or "")
        return Answer(raw, self.content.get(f"system.{raw}"), raw)


class Timezone(AskKind):
    name = "timezone"

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        return rows_of(
            Button(label, token=answer_token(question_number, f"tz{i}"))
            for i, (_, label) in enumerate(COMMON_TIMEZONES)
        )

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        if (
            button is not None
            and button.startswith("tz")
            and button[2:].isdigit()
            and int(button[2:]) < len(COMMON_TIMEZONES)
        ):
            zone, label = COMMON_TIMEZONES[int(button[2:])]
            return Answer(zone, label)
        return Answer(answers.parse_timezone(text or ""))


class Text(AskKind):
    name = "text"
    typed_only = True

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        return Answer(answers.parse_text(text or "", step.max_length))


class Number(AskKind):
    name = "number"
    typed_only = True
    numeric = True

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        return Answer(answers.parse_number(text or "", step.min, step.max, whole=False))


class Time(AskKind):
    name = "time"
    typed_only = True

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        saved = answers.parse_time(text or "")
        # Shown back as "8:30 pm" (a typed "8:30" is the morning: the words make it plain).
        return Answer(saved, label=answers.time_words(saved))


def scale_bounds(step: Step) -> tuple[float, float]:
    return (step.min if step.min is not None else 0, step.max if step.max is not None else 10)
