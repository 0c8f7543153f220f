"""``ask: choice`` (one button) and ``ask: multi`` (tick several, then Done)."""

from __future__ import annotations

from bot.flow import answers
from bot.flow.answers import NotAnAnswer
from bot.flow.asks.base import Answer, AskKind, StillChoosing, answer_token, rows_of
from bot.flow.schema import Option, Step
from bot.shared.conversation import Frame
from bot.shared.messages import Button


class Choice(AskKind):
    name = "choice"

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        return rows_of(
            Button(self.label_of(option, frame), token=answer_token(question_number, str(i)))
            for i, option in enumerate(step.options or ())
        )

    def label_of(self, option: Option, frame: Frame) -> str:
        return self.option_label(option)

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        options = step.options or []
        index = button_index(button, len(options))
        if index is None and text is not None:
            value = answers.match_option(text, [(o.value, self.option_label(o)) for o in options])
            index = next((i for i, o in enumerate(options) if o.value == value), None)
        if index is None:
            raise NotAnAnswer("system.retry_choice")
        option = options[index]
        return Answer(option.value, self.option_label(option), option.value)


class Multi(Choice):
    name = "multi"

    def buttons(self, question_number: int, step: Step, frame: Frame) -> list[tuple[Button, ...]]:
        done = Button(self.content.get("system.done"), token=answer_token(question_number, "done"))
        return [*super().buttons(question_number, step, frame), (done,)]

    def label_of(self, option: Option, frame: Frame) -> str:
        label = self.option_label(option)
        return f"✓ {label}" if option.value in frame.selection else label

    def read_answer(
        self, step: Step, frame: Frame, button: str | None, text: str | None
    ) -> Answer | StillChoosing:
        options = step.options or []
        if button == "done" or (
            text is not None
            and answers.clean_text(text).lower() in ("done", "ok", "that's all", "none")
        ):
            if not frame.selection and not step.optional and (text or "").strip().lower() != "none":
                raise NotAnAnswer("system.retry_multi")
            return self._chosen(options, frame.selection)
        index = button_index(button, len(options))
        if index is not None:
            value = options[index].value
            if value in frame.selection:
                frame.selection.remove(value)
            else:
                frame.selection.append(value)
            return StillChoosing()
        if text is not None:
            # Typed words tick like taps ("Mind reading", then "Labeling", then Done): a
            # typed answer never ends the question on its own, so the next words typed are
            # not taken for the next question's answer.
            pairs = [(o.value, self.option_label(o)) for o in options]
            picked = [
                answers.match_option(part, pairs) for part in text.replace(";", ",").split(",")
            ]
            if picked and all(picked):
                for chosen in picked:
                    if chosen is not None and chosen not in frame.selection:
                        frame.selection.append(chosen)
                return StillChoosing(self._chosen(options, frame.selection).label or "")
        raise NotAnAnswer("system.retry_multi")

    def _chosen(self, options: list[Option], values: list[str]) -> Answer:
        chosen = [o for o in options if o.value in values]
        return Answer([o.value for o in chosen], ", ".join(self.option_label(o) for o in chosen))


def button_index(button: str | None, count: int) -> int | None:
    if button is not None and button.isdigit() and int(button) < count:
        return int(button)
    return None
