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

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, WithJsonSchema
from pydantic.config import JsonDict

from bot.safety.crisis_schema_languages import (
    Language,
    LanguageButtons,
    LanguageCategory,
    LanguageMessages,
    LanguageResource,
)
from bot.safety.crisis_schema_types import (
    EMPTY_TEXT,
    NAME_PATTERN,
    OWN_WORDS,
    Label,
    Question,
    Share,
    Strict,
    Text,
    Texts,
    Word,
    none_is_empty,
    not_null,
    number,
    weights_file,
    whole_number,
)

__all__ = [
    "EMPTY_TEXT",
    "OWN_WORDS",
    "AnswerCategory",
    "AskingCategory",
    "Buttons",
    "CrisisFile",
    "Exclusion",
    "Fuzzy",
    "Language",
    "LanguageButtons",
    "LanguageCategory",
    "LanguageMessages",
    "LanguageResource",
    "Learned",
    "Messages",
    "Question",
    "Resource",
    "Rule",
    "Text",
    "category_kind",
]


class Fuzzy(Strict):
    """Key words that also match with one letter wrong ("sucide", "overdoes")."""

    words: Texts = Field(description="Single key words that also match when misspelt.")
    never: Texts = Field(
        default_factory=list,
        description="Real words that must never be read as a misspelt key word.",
    )


class Messages(Strict):
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
    unclear_answer: Text = Field(
        default="",
        description="Leads the help lines when a direct question got no clear answer (the "
        "patient moved on, or wrote something that is neither yes nor no), in place of the "
        "category's intro, which thanks them for telling.",
    )


class Buttons(Strict):
    """The words on the buttons under crisis messages (40 characters at most)."""

    book: Label = Field(description="Opens the practice's booking page.")
    resume: Label = Field(description="Goes back to the exercise.")
    sos: Label = Field(description="Shows the resources again.")
    stop: Label = Field(description="Stops the exercise for now.")
    menu: Label = Field(description="Goes back to the menu.")
    plan: Label = Field(default="", description="Opens the patient's safety plan (optional).")


class Resource(Strict):
    """A place to get help."""

    name: Text = Field(description="Its name, as the patient sees it.")
    how: Text = Field(description="How to reach it: the number to call or text, and when.")
    url: Text = Field(default="", description="A web link (https://...) for a button.")
    url_label: Text = Field(default="", description="The words on the link's button.")


class Rule(Strict):
    """A named group of phrases; a hit is cancelled by an ``unless:`` phrase it overlaps."""

    id: Text = Field(
        description="Never changes (it is stored in the safety log), like suicide.want_to_die."
    )
    match: Texts = Field(description="Phrases that find this rule ([a|b], word*, ..., <list>).")
    unless: Texts = Field(
        default_factory=list,
        description="Phrases that cancel a hit they overlap (hurt myself at the gym).",
    )


class Exclusion(Strict):
    """A rule without exceptions: under not_crisis: and uncertain:."""

    id: Text = Field(description="Never changes (it is stored in the safety log).")
    match: Texts = Field(description="Phrases of this rule ([a|b], word*, ..., <list>).")


class AnswerCategory(Strict):
    """A kind of crisis: what to say first, which resources to show, what finds it."""

    intro: Text = Field(description="Said first, warmly and briefly.")
    resources: Annotated[list[Text], Field(min_length=1)] = Field(
        description="The ids of the resources to show, most useful first."
    )
    when_unsure: Annotated[Question | None, BeforeValidator(not_null)] = Field(
        default=None, description="The direct question when a hit is uncertain."
    )
    rules: Annotated[list[Rule], Field(min_length=1)] = Field(
        description="The rules that find this category."
    )


class AskingCategory(Strict):
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


class Learned(Strict):
    """Where the learned layer's weights are and at which scores it asks."""

    model: Annotated[
        Text,
        AfterValidator(weights_file),
        WithJsonSchema({"type": "string", "pattern": r"\.npz$"}),
    ] = Field(description="The weights file, like crisis_model.npz.")
    ask_at: Share = Field(description="The learned layer alone asks at this probability.")
    keep_uncertain_at: Share = Field(
        description="An uncertain phrase hit is asked about from this probability."
    )
    context_at: Share = Field(description="The last messages together ask at this.")
    context_minutes: Annotated[float, BeforeValidator(number), Field(ge=0, le=60)] = Field(
        description="How many minutes of messages are read together (0 to 60)."
    )
    min_words: Annotated[int, BeforeValidator(whole_number), Field(ge=1, le=10)] = Field(
        description="The learned layer alone never asks about a shorter message."
    )
    exercise_ask_at: Share = Field(description="The bar while an exercise's question waits.")
    veto_below: Share = Field(description="A phrase hit is asked about under this, not answered.")
    dismiss_min_words: Annotated[int, BeforeValidator(whole_number), Field(ge=0, le=100)] = Field(
        default=0,
        description="In a message this long, a hit under dismiss_below is let go (0: never).",
    )
    dismiss_below: Share | None = Field(
        default=None,
        description="A hit in a long message is let go under this (left out: veto_below).",
    )
    mentions: list[Annotated[str, Field(strict=True)]] = Field(
        default_factory=list, description="Ids of rules that only name a subject."
    )
    let_go_negated_below: Share = Field(
        default=0.0, description="A hit after a negation is let go under this; leave out to ask."
    )


_NAMED: JsonDict = {"propertyNames": {"pattern": NAME_PATTERN}}


class CrisisFile(Strict):
    """The crisis file: phrases that find a crisis and what the patient gets then."""

    version: Literal[1] = Field(default=1, description="The format's version: 1.")
    word_lists: Annotated[
        dict[str, Annotated[list[Word], Field(min_length=1)]], BeforeValidator(none_is_empty)
    ] = Field(
        default_factory=dict,
        description="Named lists of words, used in phrases as <name>.",
        json_schema_extra=_NAMED,
    )
    fuzzy: Annotated[Fuzzy | None, BeforeValidator(not_null)] = Field(
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
    learned: Annotated[Learned | None, BeforeValidator(not_null)] = Field(
        default=None, description="The learned layer's settings."
    )
    languages: Annotated[dict[str, Language], Field(min_length=1)] = Field(
        default_factory=dict, description="Crisis answers in other languages, by code (es)."
    )
