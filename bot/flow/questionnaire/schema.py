"""The ``questionnaire:`` form of a flow file: a validated measure, as clinicians write it.

A questionnaire is data, not steps: its items with their fixed answers and scores, how the
total is made (a sum, a mean, or a screener's cut-off), the severity bands, item rules
(PHQ-9 item 9 above 0 asks the direct safety question at once), the recall window, the
instrument's version and its LOINC codes. The engine turns it into ordinary steps
(``bot.flow.questionnaire_steps``), so a questionnaire runs, re-asks, pauses for a crisis
and resumes exactly like every other flow, and a clinician adds another instrument by
writing one file.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AnswerOption",
    "Band",
    "Gate",
    "Item",
    "ItemRule",
    "Offer",
    "Questionnaire",
    "Scoring",
    "ScreenCategory",
]

#: The crisis categories whose direct question a flow may ask (their questions are in
#: content/crisis.yaml, under each category's when_unsure:); a step's ``screen:`` and an
#: item's ``rule:`` name one.
ScreenCategory = Literal["suicide", "self_harm", "overdose", "harm_to_others", "abuse"]

_NAME = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=_NAME, max_length=64)]
Loinc = Annotated[str, Field(pattern=r"^\d{1,7}-\d$", description="A LOINC code, like 44261-6.")]
LoincAnswer = Annotated[
    str, Field(pattern=r"^LA\d{1,6}-\d$", description="A LOINC answer code, like LA6568-5.")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerOption(_Strict):
    """One fixed answer: its words (verbatim from the instrument) and its score."""

    value: Name = Field(description="What is stored for this answer (a short word).")
    text: str = Field(min_length=1, description="The answer's words, exactly as published.")
    score: int = Field(ge=0, le=100, description="The points this answer scores.")
    loinc: LoincAnswer | None = Field(
        default=None,
        description="The answer's LOINC answer code, so a health record reads it as the "
        "instrument's own (the FHIR export codes it beside the coach's value).",
    )


class ItemRule(_Strict):
    """What an item's answer sets off, whatever the total: a flag, and perhaps the direct
    safety question at once, before the remaining items."""

    flag: Name = Field(description="The flag stored with the scores, like thoughts_of_self_harm.")
    score_at_least: int = Field(
        ge=0, description="The rule holds when the item scores this much or more."
    )
    ask: ScreenCategory | None = Field(
        default=None,
        description="Ask this category's direct question at once (content/crisis.yaml): "
        "suicide, self_harm, overdose, harm_to_others or abuse.",
    )
    booking: bool = Field(
        default=True, description="Offer the practice's booking link with the result."
    )


class Item(_Strict):
    """One question of the instrument."""

    id: Name = Field(description="A short name for the item, like phq9_9.")
    text: str = Field(min_length=1, description="The item's words, exactly as published.")
    loinc: Loinc | None = Field(default=None, description="The item's LOINC code.")
    options: list[AnswerOption] | None = Field(
        default=None,
        description="This item's own answers; leave out to use the questionnaire's options:.",
    )
    scale: tuple[int, int] | None = Field(
        default=None,
        description="Answered with a number from the first to the second (0-10 buttons), "
        "scored as that number, like [0, 10].",
    )
    anchors: str | None = Field(
        default=None,
        description="The words under a scale item, like 0 = No pain, 10 = Pain as bad as you can imagine.",
    )
    rule: ItemRule | None = Field(default=None, description="What this item's answer sets off.")


class Gate(_Strict):
    """A first question whose "no" ends the screen (PC-PTSD-5's trauma question)."""

    text: str = Field(min_length=1, description="The question's words, exactly as published.")
    yes: str = Field(default="Yes", description="The yes button's words.")
    no: str = Field(default="No", description="The no button's words.")
    no_total: int = Field(default=0, ge=0, description="The total when the answer is no.")


class Band(_Strict):
    """A severity band: a total from ``at_least`` up to the next band."""

    at_least: float = Field(ge=0, description="The lowest total in this band.")
    label: str = Field(
        min_length=1, max_length=40, description="Its name in plain words, like moderate."
    )


class Scoring(_Strict):
    """How the total is made."""

    method: Literal["sum", "mean", "screener"] = Field(
        description="sum (add the item scores), mean (their average) or screener "
        "(a count, positive at positive_at:)."
    )
    max_missing: int = Field(
        default=0,
        ge=0,
        description="How many items may be skipped and the total still given "
        "(a sum is then scaled up to the full number of items).",
    )
    positive_at: float | None = Field(
        default=None, ge=0, description="A screener's cut-off: positive at this total or more."
    )
    decimals: int = Field(default=0, ge=0, le=2, description="Decimals shown in the total.")


class Offer(_Strict):
    """When the coach offers this questionnaire on its own, at the end of a check-in: every
    so many days, or once (at the first check-in). Skipping counts as an offer made, so a
    patient who says "not now" is not asked again before the next one is due."""

    every_days: int | None = Field(
        default=None, ge=1, le=365, description="Offer it again after this many days."
    )
    once: bool = Field(default=False, description="Offer it only once.")

    @model_validator(mode="after")
    def _one_rule(self) -> Offer:
        if (self.every_days is None) == (not self.once):
            raise ValueError("give an offer either every_days: N or once: true")
        return self


class Questionnaire(_Strict):
    """A validated measure: items, scoring, bands and codes, in the instrument's own words."""

    measure: Name = Field(description="The measure's short name, stored with every score.")
    name: str = Field(min_length=1, max_length=40, description="Its name for people, like PHQ-9.")
    version: str = Field(
        min_length=1, max_length=40, description="The instrument's version, stored with scores."
    )
    loinc: Loinc | None = Field(default=None, description="The LOINC code of the whole form.")
    total_loinc: Loinc | None = Field(default=None, description="The LOINC code of the total.")
    recall: str = Field(
        min_length=1,
        description="The recall window, in the instrument's words (Over the last 2 weeks...).",
    )
    intro: str | None = Field(
        default=None, description="The coach's own words before the first item (a content key)."
    )
    gate: Gate | None = Field(default=None, description="A first question whose no ends it.")
    options: list[AnswerOption] | None = Field(
        default=None, description="The answers every item shares, unless it has its own."
    )
    items: list[Item] = Field(min_length=1, description="The questions, in order.")
    scoring: Scoring = Field(description="How the total is made: method: sum, mean or screener.")
    bands: list[Band] = Field(
        default_factory=list, description="Severity bands, lowest first; the first at 0."
    )
    meaningful_rise: float | None = Field(
        default=None,
        gt=0,
        description="A rise of this many points since last time offers booking "
        "(a rise into a higher band always does).",
    )
    meaningful_rise_percent: float | None = Field(
        default=None, gt=0, description="A rise of this many per cent offers booking."
    )
    offer: Offer | None = Field(
        default=None,
        description="The practice's schedule: offered at the end of a check-in every_days: N, "
        "or once: true. Leave out to offer it only when asked for.",
    )

    def options_of(self, item: Item) -> list[AnswerOption]:
        """The fixed answers of ``item`` (its own, or the shared ones)."""
        return list(item.options or self.options or [])

    def highest_total(self) -> float:
        """The largest possible total (for charts and checks)."""
        tops = [
            item.scale[1]
            if item.scale
            else max((o.score for o in self.options_of(item)), default=0)
            for item in self.items
        ]
        return sum(tops) / len(tops) if self.scoring.method == "mean" else float(sum(tops))
