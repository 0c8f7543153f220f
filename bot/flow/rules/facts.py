"""What the rules share: the facts they learn about a flow and the walks over a step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from bot.flow.asks import ASK_KINDS
from bot.flow.conditions import Condition
from bot.flow.schema import SayItem, SayKey, SayText, Step

PATIENT_VARIABLES = ("patient.name", "patient.timezone", "patient.checkin_time")
NUMERIC_ASKS = {name for name, kind in ASK_KINDS.items() if kind.numeric}
#: Texts the engine itself needs (buttons and re-asks) and so must exist in content/.
SYSTEM_KEYS = (
    "system.yes",
    "system.no",
    "system.done",
    "system.skip",
    "system.menu_button",
    "system.continue_button",
    "system.menu_title",
    "system.stale_button",
    "system.flow_changed",
    "system.flow_gone",
    "system.retry_text",
    "system.retry_text_short",
    "system.retry_text_long",
    "system.retry_choice",
    "system.retry_multi",
    "system.retry_number",
    "system.retry_range",
    "system.retry_time",
    "system.retry_timezone",
    "system.retry_yes_no",
    "system.resume_offer",
    "system.resume_pick_up",
    "system.resume_start_over",
    "system.retry_resume",
    "system.not_now",
    "system.cancelled",
    "system.nothing_to_cancel",
    "system.nothing_to_continue",
    "system.after_crisis",
    "system.paced_interrupted",
    "system.text_only",
    "system.private_only",
    "system.error",
    "system.stale_answer",
    "system.commands.start",
    "system.commands.menu",
    "system.commands.help",
    "system.commands.cancel",
    "system.commands.sos",
    "system.commands.book",
    "system.help",
    "system.unknown_command",
    "system.needs_start",
    "system.resume_button",
    "system.sos_button",
    "system.stop_button",
    "system.book_button",
    "system.progress_button",
    "system.multi_ticked",
    "system.choose",
    "system.book_text",
    "system.no_booking",
    "system.unavailable",
    "system.export_intro",
    "system.export_empty",
    "system.delete_confirm",
    "system.delete_button",
    "system.delete_keep_button",
    "system.deleted",
    # Used by the service and the Telegram channel (bot/safety/risk.py, bot/safety/oncall.py).
    "system.building_risk",
    "system.oncall_notice",
    "system.oncall_told",
    "system.oncall_portal_told",
    "system.oncall_no_name",
    "system.oncall_summary",
)
MAX_SCALE_BUTTONS = 11

#: Where a step path is in the file; saying a problem there.
At: TypeAlias = Callable[..., int]
Report: TypeAlias = Callable[[int, str], None]


@dataclass
class SavedAnswer:
    """What a flow saves under one name: the step that asks and what it accepts."""

    step: str
    ask: str | None
    options: tuple[str, ...] = ()


#: What the coach itself tells every flow, usable in conditions like a saved yes/no answer:
#: ``coach_oncall`` is yes when the practice has an on-call chat (ONCALL_CHAT_ID) and no
#: portal (PORTAL_URL): with the portal, sharing crisis alerts is the consent to a notice.
COACH_FACTS: dict[str, tuple[str, ...]] = {"coach_oncall": ("yes", "no")}


@dataclass
class FlowFacts:
    """What the rules learn about a flow, kept for the engine after validation."""

    saved: dict[str, SavedAnswer] = field(default_factory=dict)
    conditions: dict[tuple[str, int], Condition] = field(default_factory=dict)
    #: Each step's ``screen:`` condition, parsed.
    screens: dict[str, Condition] = field(default_factory=dict)
    #: Answers a ``recall:`` fills in: a skipped question that saves one keeps its value.
    recalled: set[str] = field(default_factory=set)


def step_targets(step: Step) -> list[str]:
    """Every step this step can lead to inside its own flow."""
    targets = [o.next for o in step.options or () if o.next]
    if isinstance(step.next, str):
        targets.append(step.next)
    elif step.next:
        targets.extend(b.go for b in step.next)
    return targets


def say_items(step: Step) -> list[SayItem]:
    if step.say is None:
        return []
    return list(step.say) if isinstance(step.say, list) else [step.say]


def content_keys_of(step: Step) -> Iterator[tuple[str, str]]:
    """(key, which field) for every content key a step uses."""
    for item in say_items(step):
        if isinstance(item, str):
            yield item, "say"
        elif isinstance(item, SayKey):
            yield item.say, "say"
    for option in step.options or ():
        if option.label:
            yield option.label, "options"
    if step.retry:
        yield step.retry, "retry"


def inline_texts_of(step: Step) -> Iterator[tuple[str, str]]:
    if step.text:
        yield step.text, "text"
    for item in say_items(step):
        if isinstance(item, SayText):
            yield item.text, "say"
    for option in step.options or ():
        if option.text:
            yield option.text, "options"


def targets_with_paths(step: Step) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    for i, option in enumerate(step.options or ()):
        if option.next:
            yield option.next, ("options", i, "next")
    if isinstance(step.next, str):
        yield step.next, ("next",)
    elif step.next:
        for i, branch in enumerate(step.next):
            yield branch.go, ("next", i, "go")
