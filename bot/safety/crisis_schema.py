"""The crisis file's format (``content/crisis.yaml``) as pydantic models.

These models are the one description of the file's shape: the loader validates with them
(``bot.safety.crisis_schema_errors`` turns their errors into ``file:line`` problems worded
for a clinician), and ``coach schema`` turns them into ``docs/crisis.schema.json`` so an
editor completes keys and underlines mistakes while the file is written. Anything a model
does not name is refused, so a misspelt key is reported instead of silently doing nothing.
What needs the whole file (phrases and their word lists, resource and rule ids, the order
of categories) is checked afterwards, in ``bot.safety.crisis_checks``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

__all__ = [
    "AnswerCategory",
    "AskingCategory",
    "Buttons",
    "CrisisFile",
    "Exclusion",
    "Fuzzy",
    "Language",
    "LanguageCategory",
    "LanguageResource",
    "Learned",
    "Messages",
    "Question",
    "Resource",
    "Rule",
    "category_kind",
]

#: The error type of a message written here whole; the error mapper keeps it as it is.
OWN_WORDS = "crisis"
#: The error type of a text left empty (or only spaces).
EMPTY_TEXT = "empty_text"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
LABEL_MAX = 40


def _number_to_text(value: Any) -> Any:
    """A number where a text goes is read as that text (``how: 988``), a boolean is not."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _stripped(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(EMPTY_TEXT, "is empty")
    return value.strip()


def _fits_a_button(value: str) -> str:
    if len(value) > LABEL_MAX:
        raise PydanticCustomError(
            OWN_WORDS, "a button label must fit a phone screen: 40 characters at most"
        )
    return value


def _plain_word(value: str) -> str:
    if re.search(r"[\[\]<>|]|\.\.\.", value):
        raise PydanticCustomError(
            OWN_WORDS,
            '"{w}" in a word list must be plain words (no [ ] < > | ...)',
            {"w": value},
        )
    return value


def _weights_file(value: str) -> str:
    if not value.endswith(".npz"):
        raise PydanticCustomError(
            OWN_WORDS, "learned.model names the weights file, like crisis_model.npz"
        )
    return value


def _not_null(value: Any) -> Any:
    """An optional key written with nothing after it is a mistake, not "left out"."""
    if value is None:
        raise PydanticCustomError("null", "is empty")
    return value


def _none_is_empty(value: Any) -> Any:
    """``word_lists:`` with nothing under it is read as no lists, as it always was."""
    return {} if value is None else value


def _number(value: Any) -> Any:
    """Only a number written as a number: not a boolean, not a number in quotes."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("number", "not a number")
    return value


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("number", "not a whole number")
    return value


Text = Annotated[str, BeforeValidator(_number_to_text), AfterValidator(_stripped)]
Label = Annotated[Text, AfterValidator(_fits_a_button)]
Word = Annotated[Text, AfterValidator(_plain_word)]
Texts = Annotated[list[Text], Field(min_length=1)]
Share = Annotated[float, BeforeValidator(_number), Field(gt=0, lt=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fuzzy(_Strict):
    """Key words that also match with one letter wrong ("sucide", "overdoes")."""

    words: Texts = Field(description="Single key words that also match when misspelt.")
    never: Texts = Field(
        default_factory=list,
        description="Real words that must never be read as a misspelt key word.",
    )


class Messages(_Strict):
    """Fixed texts around the resources of a crisis answer."""

    sos_intro: Text = Field(description="Leads the list of resources (/sos and every answer).")
    bot_note: Text = Field(description="Says the coach is automated and cannot call anyone.")
    safety_plan_heading: Text = Field(description="The heading over the patient's safety plan.")
    next_step_exercise: Text = Field(description="Asks what next, during an exercise.")
    next_step: Text = Field(description="Asks what next, outside an exercise.")
    after_crisis: Text = Field(
        default="",
        description="Said to a typed message while an exercise waits after a crisis answer "
        "(leave out in English: the coach's own text says it).",
    )
    question_expired: Text = Field(
        default="",
        description="Leads the help lines offered again when a direct question went unanswered.",
    )


class Buttons(_Strict):
    """The words on the buttons under crisis messages (40 characters at most)."""

    book: Label = Field(description="Opens the practice's booking page.")
    resume: Label = Field(description="Goes back to the exercise.")
    sos: Label = Field(description="Shows the resources again.")
    stop: Label = Field(description="Stops the exercise for now.")
    menu: Label = Field(description="Goes back to the menu.")
    plan: Label = Field(default="", description="Opens the patient's safety plan (optional).")


class Resource(_Strict):
    """A place to get help."""

    name: Text = Field(description="Its name, as the patient sees it.")
    how: Text = Field(description="How to reach it: the number to call or text, and when.")
    url: Text = Field(default="", description="A web link (https://...) for a button.")
    url_label: Text = Field(default="", description="The words on the link's button.")


class Rule(_Strict):
    """A named group of phrases; a hit is cancelled by an ``unless:`` phrase it overlaps."""

    id: Text = Field(
        description="Never changes (it is stored in the safety log), like suicide.want_to_die."
    )
    match: Texts = Field(description="Phrases that find this rule ([a|b], word*, ..., <list>).")
    unless: Texts = Field(
        default_factory=list,
        description="Phrases that cancel a hit they overlap (hurt myself at the gym).",
    )


class Exclusion(_Strict):
    """A rule without exceptions: under not_crisis: and uncertain:."""

    id: Text = Field(description="Never changes (it is stored in the safety log).")
    match: Texts = Field(description="Phrases of this rule ([a|b], word*, ..., <list>).")


class Question(_Strict):
    """The direct question a category asks when the coach is unsure."""

    ask: Text = Field(description="The question, asked directly.")
    yes_button: Label = Field(description="The words on the yes button.")
    no_button: Label = Field(description="The words on the no button.")
    if_no: Text = Field(description="Said after a no, before going back.")


class AnswerCategory(_Strict):
    """A kind of crisis: what to say first, which resources to show, what finds it."""

    intro: Text = Field(description="Said first, warmly and briefly.")
    resources: Annotated[list[Text], Field(min_length=1)] = Field(
        description="The ids of the resources to show, most useful first."
    )
    when_unsure: Annotated[Question | None, BeforeValidator(_not_null)] = Field(
        default=None, description="The direct question when a hit is uncertain."
    )
    rules: Annotated[list[Rule], Field(min_length=1)] = Field(
        description="The rules that find this category."
    )


class AskingCategory(_Strict):
    """Worrying words of unclear meaning: ask directly before showing any help."""

    ask: Text = Field(description="The direct question.")
    yes_button: Label = Field(description="The words on the yes button.")
    no_button: Label = Field(description="The words on the no button.")
    if_yes: Text = Field(description="The category whose answer a yes gets, like suicide.")
    if_no: Text = Field(description="Said after a no.")
    rules: Annotated[list[Rule], Field(min_length=1)] = Field(
        description="The rules that find this category."
    )


def category_kind(value: Any) -> str:
    """A category with ``ask:`` asks first; any other is answered with resources."""
    return "asks" if isinstance(value, dict) and "ask" in value else "answers"


Category = Annotated[
    Annotated[AnswerCategory, Tag("answers")] | Annotated[AskingCategory, Tag("asks")],
    Discriminator(category_kind),
]


class Learned(_Strict):
    """Where the learned layer's weights are and at which scores it asks."""

    model: Annotated[Text, AfterValidator(_weights_file)] = Field(
        description="The weights file, like crisis_model.npz."
    )
    ask_at: Share = Field(description="The learned layer alone asks at this probability.")
    keep_uncertain_at: Share = Field(
        description="An uncertain phrase hit is asked about from this probability."
    )
    context_at: Share = Field(description="The last messages together ask at this.")
    context_minutes: Annotated[float, BeforeValidator(_number), Field(ge=0, le=60)] = Field(
        description="How many minutes of messages are read together (0 to 60)."
    )
    min_words: Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=10)] = Field(
        description="The learned layer alone never asks about a shorter message."
    )
    exercise_ask_at: Share = Field(description="The bar while an exercise's question waits.")
    veto_below: Share = Field(description="A phrase hit is let go under this (long messages).")
    mentions: list[Annotated[str, Field(strict=True)]] = Field(
        default_factory=list, description="Ids of rules that only name a subject."
    )
    let_go_negated_below: Share = Field(
        default=0.0, description="A hit after a negation is let go under this; leave out to ask."
    )


class LanguageResource(_Strict):
    """A resource's texts in a language; what is left out stays in English."""

    how: Text = Field(default="", description="How to reach it, in this language.")
    name: Text = Field(default="", description="Its name, in this language.")
    url: Text = Field(default="", description="A web link in this language.")
    url_label: Text = Field(default="", description="The link button's words.")


class LanguageCategory(_Strict):
    """A category's texts in a language; what is left out stays in English."""

    intro: Text = Field(default="", description="The intro, in this language.")
    when_unsure: Annotated[Question | None, BeforeValidator(_not_null)] = Field(
        default=None, description="The direct question, in this language."
    )
    ask: Text = Field(default="", description="A category that asks first: its question.")
    yes_button: Text = Field(default="", description="Its yes button.")
    no_button: Text = Field(default="", description="Its no button.")
    if_no: Text = Field(default="", description="Said after a no.")


class LanguageMessages(_Strict):
    """The fixed texts in a language; what is left out stays in English."""

    after_crisis: Text = Field(default="", description="See messages.after_crisis.")
    bot_note: Text = Field(default="", description="See messages.bot_note.")
    next_step: Text = Field(default="", description="See messages.next_step.")
    next_step_exercise: Text = Field(default="", description="See messages.next_step_exercise.")
    question_expired: Text = Field(default="", description="See messages.question_expired.")
    safety_plan_heading: Text = Field(default="", description="See messages.safety_plan_heading.")
    sos_intro: Text = Field(default="", description="See messages.sos_intro.")


class LanguageButtons(_Strict):
    """The button words in a language; what is left out stays in English."""

    book: Text = Field(default="", description="See buttons.book.")
    menu: Text = Field(default="", description="See buttons.menu.")
    plan: Text = Field(default="", description="See buttons.plan.")
    resume: Text = Field(default="", description="See buttons.resume.")
    sos: Text = Field(default="", description="See buttons.sos.")
    stop: Text = Field(default="", description="See buttons.stop.")


class Language(_Strict):
    """One language: the words that mark a message as written in it, and its texts."""

    detect: Texts = Field(description="Words that mark a message as written in this language.")
    messages: LanguageMessages = Field(
        default_factory=LanguageMessages, description="The fixed texts."
    )
    buttons: LanguageButtons = Field(default_factory=LanguageButtons, description="Button words.")
    resources: Annotated[dict[str, LanguageResource], BeforeValidator(_none_is_empty)] = Field(
        default_factory=dict, description="Texts of resources, by resource id."
    )
    categories: Annotated[dict[str, LanguageCategory], BeforeValidator(_none_is_empty)] = Field(
        default_factory=dict, description="Texts of categories, by category name."
    )


_NAMED: JsonDict = {"propertyNames": {"pattern": NAME_PATTERN}}


class CrisisFile(_Strict):
    """The crisis file: phrases that find a crisis and what the patient gets then."""

    version: Literal[1] = Field(default=1, description="The format's version: 1.")
    word_lists: Annotated[
        dict[str, Annotated[list[Word], Field(min_length=1)]], BeforeValidator(_none_is_empty)
    ] = Field(
        default_factory=dict,
        description="Named lists of words, used in phrases as <name>.",
        json_schema_extra=_NAMED,
    )
    fuzzy: Annotated[Fuzzy | None, BeforeValidator(_not_null)] = Field(
        default=None, description="Key words that match when misspelt."
    )
    messages: Messages = Field(description="Fixed texts around the resources.")
    buttons: Buttons = Field(description="Words on the buttons under crisis messages.")
    resources: Annotated[dict[str, Resource], Field(min_length=1)] = Field(
        description="Places to get help, by id (an id with name: and how:).",
        json_schema_extra=_NAMED,
    )
    not_crisis: Annotated[list[Exclusion], Field(min_length=1)] = Field(
        default_factory=list, description="Figures of speech that cancel any hit they overlap."
    )
    categories: Annotated[dict[str, Category], Field(min_length=1)] = Field(
        description="Kinds of crisis, MOST URGENT FIRST; one that asks first comes last.",
        json_schema_extra=_NAMED,
    )
    uncertain: Annotated[list[Exclusion], Field(min_length=1)] = Field(
        default_factory=list,
        description="Words that make a hit uncertain (ids like uncertain.past.used_to).",
    )
    learned: Annotated[Learned | None, BeforeValidator(_not_null)] = Field(
        default=None, description="The learned layer's settings."
    )
    languages: Annotated[dict[str, Language], Field(min_length=1)] = Field(
        default_factory=dict, description="Crisis answers in other languages, by code (es)."
    )
