"""The values the crisis file's models are made of: texts, labels, words, shares.

Each value type carries its own check and, where the hand-written reader had its own
sentence for a mistake, that sentence (error type ``OWN_WORDS``), so the loader can
pass it to the clinician as it is. See ``bot.safety.crisis_schema`` for the models.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "EMPTY_TEXT",
    "LABEL_MAX",
    "NAME_PATTERN",
    "OWN_WORDS",
    "Label",
    "Question",
    "Share",
    "Strict",
    "Text",
    "Texts",
    "Word",
    "none_is_empty",
    "not_null",
    "number",
    "weights_file",
    "whole_number",
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


def weights_file(value: str) -> str:
    if not value.endswith(".npz"):
        raise PydanticCustomError(
            OWN_WORDS, "learned.model names the weights file, like crisis_model.npz"
        )
    return value


def not_null(value: Any) -> Any:
    """An optional key written with nothing after it is a mistake, not "left out"."""
    if value is None:
        raise PydanticCustomError("null", "is empty")
    return value


def none_is_empty(value: Any) -> Any:
    """``word_lists:`` with nothing under it is read as no lists, as it always was."""
    return {} if value is None else value


def number(value: Any) -> Any:
    """Only a number written as a number: not a boolean, not a number in quotes."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("number", "not a number")
    return value


def whole_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("number", "not a whole number")
    return value


Text = Annotated[
    str,
    BeforeValidator(_number_to_text),
    AfterValidator(_stripped),
    WithJsonSchema({"type": ["string", "number"], "minLength": 1}),
]
Label = Annotated[
    Text,
    AfterValidator(_fits_a_button),
    WithJsonSchema({"type": ["string", "number"], "minLength": 1, "maxLength": LABEL_MAX}),
]
Word = Annotated[Text, AfterValidator(_plain_word)]
Texts = Annotated[list[Text], Field(min_length=1)]
Share = Annotated[float, BeforeValidator(number), Field(gt=0, lt=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(Strict):
    """The direct question a category asks when the coach is unsure."""

    ask: Text = Field(description="The question, asked directly.")
    yes_button: Label = Field(description="The words on the yes button.")
    no_button: Label = Field(description="The words on the no button.")
    if_no: Text = Field(description="Said after a no, before going back.")
