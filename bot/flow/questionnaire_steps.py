"""A questionnaire as ordinary steps, so the engine runs it like every other flow.

Each item becomes one question (its fixed answers as buttons, or a 0-10 scale), optional
so a patient can skip one; an item rule with ``ask:`` becomes the step's ``screen:``, the
same direct safety question a check-in's very low mood gets, asked at once. The last step
(``SCORE_STEP``) is where the engine scores the answers and says the result.
"""

from __future__ import annotations

from bot.flow.questionnaire.schema import Item, Questionnaire
from bot.flow.questionnaire.scoring import GATE
from bot.flow.schema import Branch, Flow, Option, SayItem, SayText, Screen, Step

__all__ = ["SCORE_STEP", "questionnaire_steps", "with_questionnaire_steps"]

#: The step where the answers are scored and the result is said.
SCORE_STEP = "score"
#: After a last item whose rule asked the direct question: the result waits for a tap, so
#: a patient who answers that question "no" comes back to it instead of to nothing.
CHECKED_STEP = "checked"
INTRO_KEY = "scores.intro"


def with_questionnaire_steps(flow: Flow) -> Flow:
    """``flow`` with its questionnaire's steps (a flow without one is returned as it is)."""
    if flow.questionnaire is None:
        return flow
    return flow.model_copy(update={"steps": questionnaire_steps(flow.questionnaire)})


def questionnaire_steps(questionnaire: Questionnaire) -> dict[str, Step]:
    items = questionnaire.items
    steps: dict[str, Step] = {}
    opening: list[SayItem] = [questionnaire.intro or INTRO_KEY]
    if questionnaire.gate is not None:
        gate = questionnaire.gate
        steps[GATE] = Step(
            say=[*opening, SayText(text=gate.text)],
            ask="choice",
            save=GATE,
            options=[
                Option(value="yes", text=gate.yes, next=items[0].id),
                Option(value="no", text=gate.no, next=SCORE_STEP),
            ],
        )
        opening = []
    for number, item in enumerate(items, start=1):
        following = items[number].id if number < len(items) else SCORE_STEP
        say: list[SayItem] = list(opening)
        if number == 1:
            say.append(SayText(text=_escape(questionnaire.recall)))
        say.append(SayText(text=_item_text(item, number, len(items))))
        step = _item_step(questionnaire, item, say, following)
        if following == SCORE_STEP and step.screen is not None:
            step = step.model_copy(
                update={
                    "next": [
                        Branch(when=step.screen.when, go=CHECKED_STEP),
                        Branch(go=SCORE_STEP),
                    ]
                }
            )
            steps[CHECKED_STEP] = Step(
                say="scores.checked",
                ask="choice",
                options=[Option(value="show", label="scores.see_result", next=SCORE_STEP)],
            )
        steps[item.id] = step
        opening = []
    steps[SCORE_STEP] = Step(end=True)
    return steps


def _item_step(
    questionnaire: Questionnaire, item: Item, say: list[SayItem], following: str
) -> Step:
    screen = None
    if item.rule is not None and item.rule.ask is not None:
        screen = Screen(when=_rule_condition(questionnaire, item), ask=item.rule.ask)
    if item.scale is not None:
        low, high = item.scale
        return Step(
            say=say,
            ask="scale",
            save=item.id,
            min=low,
            max=high,
            optional=True,
            screen=screen,
            next=following,
        )
    options = [Option(value=o.value, text=o.text) for o in questionnaire.options_of(item)]
    return Step(
        say=say,
        ask="choice",
        save=item.id,
        options=options,
        optional=True,
        screen=screen,
        next=following,
    )


def _rule_condition(questionnaire: Questionnaire, item: Item) -> str:
    """The item rule as a condition over the saved answer."""
    assert item.rule is not None
    if item.scale is not None:
        return f"{item.id} >= {item.rule.score_at_least}"
    values = [
        o.value for o in questionnaire.options_of(item) if o.score >= item.rule.score_at_least
    ]
    return f"{item.id} in [{', '.join(values)}]"


def _item_text(item: Item, number: int, count: int) -> str:
    text = f"<b>{number}/{count}</b> {_escape(item.text)}"
    if item.anchors:
        text += f"\n<i>{_escape(item.anchors)}</i>"
    return text


def _escape(text: str) -> str:
    """Braces doubled, so the renderer shows the instrument's words exactly as written
    (it escapes them for Telegram itself)."""
    return text.replace("{", "{{").replace("}", "}}")
