"""Rules on one step's shape: what it does (ask, call, start_flow, end), its options, limits."""

from __future__ import annotations

from bot.flow.rules.facts import (
    MAX_SCALE_BUTTONS,
    NUMERIC_ASKS,
    At,
    Report,
)
from bot.flow.schema import Step


def check_step_shape(name: str, step: Step, at: At, report: Report) -> None:
    where = f'in step "{name}": '
    modes = [m for m in ("ask", "call", "start_flow") if getattr(step, m)] + (
        ["end"] if step.end else []
    )
    if len(modes) > 1:
        report(
            at(name),
            f"{where}a step can do only one of {', '.join(modes)}; split it into two steps",
        )
        return
    mode = modes[0] if modes else None
    has_words = bool(step.say or step.text)
    if step.say and step.text:
        report(
            at(name, "text"), f"{where}use say: or text:, not both; put extra lines in a say: list"
        )
    silent_recall = mode is None and step.recall is not None  # fills in answers, then goes on
    if mode in (None, "ask") and not has_words and not silent_recall:
        report(at(name), f"{where}the step says nothing; add say: (a content key) or text:")
    if mode in ("end", "start_flow") and step.next is not None:
        report(at(name, "next"), f"{where}a step with {mode} does not go on; remove next:")
    if mode in (None, "call") and step.next is None:
        report(
            at(name), f"{where}it is not clear where to go after this step; add next: or end: true"
        )
    if step.ask in ("choice", "multi"):
        if not step.options:
            report(at(name, "ask"), f"{where}ask: {step.ask} needs options: (the buttons)")
        else:
            values = [o.value for o in step.options]
            for i, value in enumerate(values):
                if value in values[:i]:
                    report(
                        at(name, "options", i),
                        f'{where}two buttons have the value "{value}"; make each one different',
                    )
            if step.ask == "multi" and any(o.next for o in step.options):
                report(
                    at(name, "options"),
                    f"{where}buttons of a multi choice cannot have next:; put one next: on the step",
                )
            if step.ask == "multi" and step.next is None:
                report(at(name), f"{where}add next: for after the patient presses Done")
            if step.ask == "choice" and step.next is None and not all(o.next for o in step.options):
                missing = [o.value for o in step.options if not o.next]
                report(
                    at(name, "options"),
                    f"{where}the buttons {', '.join(missing)} have no next:; add next: to them or to the step",
                )
            if (
                step.ask == "choice"
                and not step.save
                and step.next is not None
                and not isinstance(step.next, str)
            ):
                report(at(name, "save"), f"{where}branches need the answer saved; add save: NAME")
    elif step.options:
        report(at(name, "options"), f"{where}options: are only for ask: choice or ask: multi")
    if step.ask and step.ask != "choice" and not step.save:
        report(at(name, "ask"), f"{where}the answer is not saved anywhere; add save: NAME")
    if (step.min is not None or step.max is not None) and step.ask not in NUMERIC_ASKS:
        report(
            at(name, "min" if step.min is not None else "max"),
            f"{where}min: and max: are only for ask: scale or ask: number",
        )
    if step.max_length is not None and step.ask != "text":
        report(at(name, "max_length"), f"{where}max_length: is only for ask: text")
    if step.optional and not step.ask:
        report(
            at(name, "optional"),
            f"{where}optional: true puts a Skip button under a question, and this step asks "
            "nothing; remove optional: or add ask:",
        )
    if step.progress_button and not step.ask:
        report(
            at(name, "progress_button"),
            f"{where}progress_button: true puts a button under a question's answers, and this "
            "step asks nothing; remove progress_button: or add ask:",
        )
    if step.ask == "scale":
        low, high = (
            (step.min if step.min is not None else 0),
            (step.max if step.max is not None else 10),
        )
        if (
            low >= high
            or high - low + 1 > MAX_SCALE_BUTTONS
            or low != int(low)
            or high != int(high)
        ):
            report(
                at(name, "ask"),
                f"{where}a scale runs over whole numbers with at most {MAX_SCALE_BUTTONS} buttons, like min: 0 and max: 10",
            )
    if (
        step.ask == "number"
        and step.min is not None
        and step.max is not None
        and step.min >= step.max
    ):
        report(at(name, "min"), f"{where}min: must be lower than max:")
    if isinstance(step.next, list):
        for i, branch in enumerate(step.next):
            last = i == len(step.next) - 1
            if last and branch.when is not None:
                report(
                    at(name, "next", i),
                    f"{where}the last branch needs no when: so there is always a way on; add - go: STEP at the end",
                )
            if not last and branch.when is None:
                report(
                    at(name, "next", i),
                    f"{where}only the last branch may leave out when:; the branches after it would never be used",
                )
