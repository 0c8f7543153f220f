"""The ``languages:`` section of the crisis file as pydantic models.

A language gives the words that mark a message as written in it and any of the file's
texts in its words; what it leaves out stays in English (``bot.safety.languages``), so
every key here may be left out, except ``detect:``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from bot.safety.crisis_schema_types import Question, Strict, Text, Texts, none_is_empty, not_null

__all__ = [
    "Language",
    "LanguageButtons",
    "LanguageCategory",
    "LanguageMessages",
    "LanguageResource",
]


class LanguageResource(Strict):
    """A resource's texts in a language; what is left out stays in English."""

    how: Text = Field(default="", description="How to reach it, in this language.")
    name: Text = Field(default="", description="Its name, in this language.")
    url: Text = Field(default="", description="A web link in this language.")
    url_label: Text = Field(default="", description="The link button's words.")


class LanguageCategory(Strict):
    """A category's texts in a language; what is left out stays in English."""

    intro: Text = Field(default="", description="The intro, in this language.")
    when_unsure: Annotated[Question | None, BeforeValidator(not_null)] = Field(
        default=None, description="The direct question, in this language."
    )
    ask: Text = Field(default="", description="A category that asks first: its question.")
    yes_button: Text = Field(default="", description="Its yes button.")
    no_button: Text = Field(default="", description="Its no button.")
    if_no: Text = Field(default="", description="Said after a no.")


class LanguageMessages(Strict):
    """The fixed texts in a language; what is left out stays in English."""

    after_crisis: Text = Field(default="", description="See messages.after_crisis.")
    bot_note: Text = Field(default="", description="See messages.bot_note.")
    next_step: Text = Field(default="", description="See messages.next_step.")
    next_step_exercise: Text = Field(default="", description="See messages.next_step_exercise.")
    question_expired: Text = Field(default="", description="See messages.question_expired.")
    safety_plan_heading: Text = Field(default="", description="See messages.safety_plan_heading.")
    sos_intro: Text = Field(default="", description="See messages.sos_intro.")
    unclear_answer: Text = Field(default="", description="See messages.unclear_answer.")


class LanguageButtons(Strict):
    """The button words in a language; what is left out stays in English."""

    book: Text = Field(default="", description="See buttons.book.")
    menu: Text = Field(default="", description="See buttons.menu.")
    plan: Text = Field(default="", description="See buttons.plan.")
    resume: Text = Field(default="", description="See buttons.resume.")
    sos: Text = Field(default="", description="See buttons.sos.")
    stop: Text = Field(default="", description="See buttons.stop.")


class Language(Strict):
    """One language: the words that mark a message as written in it, and its texts."""

    detect: Texts = Field(description="Words that mark a message as written in this language.")
    messages: LanguageMessages = Field(
        default_factory=LanguageMessages, description="The fixed texts."
    )
    buttons: LanguageButtons = Field(default_factory=LanguageButtons, description="Button words.")
    resources: Annotated[dict[str, LanguageResource], BeforeValidator(none_is_empty)] = Field(
        default_factory=dict, description="Texts of resources, by resource id."
    )
    categories: Annotated[dict[str, LanguageCategory], BeforeValidator(none_is_empty)] = Field(
        default_factory=dict, description="Texts of categories, by category name."
    )
