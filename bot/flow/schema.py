"""The flow format clinicians write, as pydantic models.

These models are the single description of the YAML: the loader validates with them,
`coach schema` turns them into a JSON Schema for editors, and their descriptions are the
help text a clinician sees while typing. Anything a model does not name is refused, so
a misspelt key is reported instead of silently doing nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.flow.questionnaire.schema import Questionnaire, ScreenCategory

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
ContentKey = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
        description="A text in content/, written as file.key (for example checkin.ask_mood).",
    ),
]

AskKind = Literal["text", "choice", "multi", "scale", "yes_no", "number", "time", "timezone"]


PROFILE_FIELDS = (
    "name",
    "timezone",
    "checkin_time",
    "checkins",
    "consent",
    "crisis_alerts",
    "skip_tomorrow",
    "pause_days",
    "reminder_detail",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SayText(_Strict):
    """A message written directly in the flow instead of in content/."""

    text: str = Field(description="The words to send. {variable} shows a saved answer.")


class SayKey(_Strict):
    """A message taken from content/ by its key."""

    say: ContentKey


class Pause(_Strict):
    """Wait before the next message, for timed exercises such as paced breathing."""

    pause: float = Field(gt=0, le=120, description="Seconds to wait (up to 120).")


SayItem = ContentKey | SayText | SayKey | Pause


class Option(_Strict):
    """One button of a choice."""

    value: Name = Field(description="What is saved when this button is pressed (a short word).")
    label: ContentKey | None = Field(
        default=None, description="The button's words, from content/ (file.key)."
    )
    text: str | None = Field(default=None, description="The button's words, written here.")
    next: Name | None = Field(default=None, description="The step to go to after this button.")

    @model_validator(mode="after")
    def _one_label(self) -> Option:
        if (self.label is None) == (self.text is None):
            raise ValueError("give a button either label: (a content key) or text: (the words)")
        return self


class Branch(_Strict):
    """One way on: the first branch whose condition holds is taken."""

    when: str | None = Field(
        default=None,
        description="A condition over saved answers, like intensity >= 8 or "
        "emotion in [anxious, angry]. Leave it out on the last branch: it is the otherwise.",
    )
    go: Name = Field(description="The step to go to.")


class Screen(_Strict):
    """A safety check on this step's answer: when it holds, ask the direct question."""

    when: str = Field(
        description="A condition over saved answers, like mood <= 2 or hopeless >= 7."
    )
    ask: ScreenCategory = Field(
        description="Whose direct question to ask: suicide, self_harm, overdose, "
        "harm_to_others or abuse."
    )


class Record(_Strict):
    """A journal entry written when this step is reached."""

    kind: Name = Field(description="What sort of entry, e.g. thought_record or check_in.")
    fields: list[Name] | dict[Name, Name] = Field(
        description="The saved answers to keep: a list of names, or entry_field: answer_name."
    )


class Recall(_Strict):
    """Fill in answers from what the patient wrote last time (the latest entry of a kind)."""

    kind: Name = Field(
        description="Which entries: the kind this flow's own record: writes, e.g. safety_plan."
    )
    fields: list[Name] | dict[Name, Name] = Field(
        description="The entry's fields to fill in: a list of names (the answers of the same "
        "names), or entry_field: answer_name. A question that saves one of them and is skipped "
        "keeps what was filled in."
    )
    found: Name | None = Field(
        default=None,
        description="Saved as yes when there was an entry and no when there was none, "
        "for a when: condition.",
    )


class Step(_Strict):
    """One step: say something, maybe wait for an answer, then go on."""

    say: SayItem | list[SayItem] | None = Field(
        default=None,
        description="What to send: a content key, or a list of keys, {text: ...} and {pause: seconds}.",
    )
    text: str | None = Field(default=None, description="What to send, written here.")
    ask: AskKind | None = Field(
        default=None,
        description="Wait for an answer: text, choice (one button), multi (several buttons, "
        "then Done), scale (0-10 buttons), yes_no, number, time (of day), timezone.",
    )
    save: Name | None = Field(default=None, description="The name the answer is saved under.")
    options: list[Option] | None = Field(
        default=None, description="The buttons of a choice or multi."
    )
    min: float | None = Field(default=None, description="Lowest number accepted (scale, number).")
    max: float | None = Field(default=None, description="Highest number accepted (scale, number).")
    max_length: int | None = Field(
        default=None, gt=0, le=4000, description="Longest text answer accepted (characters)."
    )
    optional: bool = Field(default=False, description="The patient may skip this question.")
    retry: ContentKey | None = Field(
        default=None, description="What to say when an answer does not fit (content key)."
    )
    set: dict[Name, str | int | float | bool] | None = Field(
        default=None, description="Save fixed values when this step is reached."
    )
    next: Name | list[Branch] | None = Field(
        default=None, description="Where to go next: a step name, or a list of branches."
    )
    call: Name | None = Field(
        default=None, description="Run another flow here, then come back and go to next."
    )
    start_flow: Name | None = Field(
        default=None, description="Leave this flow and start another one."
    )
    end: bool = Field(default=False, description="This step ends the flow.")
    record: Record | None = Field(default=None, description="Write a journal entry here.")
    recall: Recall | None = Field(
        default=None,
        description="Fill in answers from the patient's latest entry of a kind (their saved "
        "safety plan, say), to show it or to keep what a skipped question had: kind:, fields:, "
        "found:.",
    )
    names_means: bool = Field(
        default=False,
        description="This question's answers name means by design (who keeps the gun, "
        "where the pills go): the learned crisis layer alone does not ask about them; a "
        "crisis phrase still gets its answer.",
    )
    screen: Screen | None = Field(
        default=None,
        description="Ask the direct safety question when this step's answer calls for it "
        "(a very low mood, a hopeless feeling at 7 or more): when: and ask:.",
    )
    profile: dict[Literal[PROFILE_FIELDS], Name] | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Keep answers in the patient's profile: name, timezone, checkin_time, "
        "checkins, consent, crisis_alerts; skip_tomorrow (yes/no) and pause_days (a number) "
        "change only the next reminders; reminder_detail (yes/no) shows the check-in's "
        "question in the reminder instead of a neutral line.",
    )
    booking_button: bool = Field(
        default=False, description="Show the practice's booking link as a button."
    )
    menu_button: bool = Field(default=False, description="Show a button back to the menu.")
    progress_button: bool = Field(
        default=False,
        description="Show a button to the patient's progress (what /progress shows: scores, "
        "ratings, skills); the exercise waits where it is.",
    )


class Start(_Strict):
    """How a patient starts the flow."""

    command: Name | None = Field(default=None, description="The command, without the slash.")
    menu: ContentKey | None = Field(
        default=None, description="The menu button's words (content key); leave out to hide."
    )
    beside_menu: bool = Field(
        default=False,
        description=(
            "Also show this flow's menu button beside Menu wherever the coach offers the way"
            " back (the end of an exercise, /cancel, /help), so what it lists is two taps"
            " away. Needs menu; at most two flows."
        ),
    )


class Flow(_Strict):
    """One exercise: its identity, how it starts, and its steps in order."""

    id: Name = Field(description="A unique short name, like thought_record.")
    title: str = Field(min_length=1, max_length=80, description="The title, for clinicians.")
    description: str = Field(min_length=1, description="One or two lines on what it is for.")
    version: int = Field(ge=1, description="Raise by one whenever the steps change.")
    start: Start = Field(
        default_factory=Start,
        description="How a patient starts it: a command (like checkin for /checkin) and a menu button.",
    )
    first: Name | None = Field(
        default=None, description="The first step; leave out to start at the first listed."
    )
    migrate: dict[Name, Name] = Field(
        default_factory=dict,
        description="Old step name: new step name, so conversations in progress can continue.",
    )
    steps: dict[Name, Step] = Field(
        default_factory=dict,
        description="The steps, by name (a questionnaire: flow has none; its items make them).",
    )
    questionnaire: Questionnaire | None = Field(
        default=None,
        description="A validated measure (PHQ-9, GAD-7...): items, scoring, bands and codes, "
        "in place of steps:.",
    )

    @model_validator(mode="after")
    def _steps_or_questionnaire(self) -> Flow:
        if self.questionnaire is not None and self.steps:
            raise ValueError(
                "a questionnaire: flow has no steps: (its items make them); remove steps:"
            )
        if self.questionnaire is None and not self.steps:
            raise ValueError("a flow needs steps: (or a questionnaire:); add its steps")
        return self

    @property
    def first_step(self) -> str:
        return self.first or next(iter(self.steps))
