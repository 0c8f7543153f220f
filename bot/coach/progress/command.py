"""/progress: the last 4 weeks (a button for 12) as words, a chart and a one-page PDF.

The rows are read inside the event's transaction and the figures computed there (cheap);
the chart and the PDF are drawn after it (``Reply.render_later``), from a worker thread, in
the drawing process (``bot.coach.progress.drawer``), so drawing never holds a database
connection or the event loop, and the bot never imports matplotlib.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import partial

from sqlalchemy.engine import Connection

from bot.coach.measures import questionnaires_of
from bot.coach.progress.drawer import draw
from bot.coach.progress.figures import progress_figures
from bot.coach.progress.summary import summary_lines
from bot.coach.reply import Reply
from bot.db import measures, store
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.shared import tokens
from bot.shared.messages import Button, Inbound, OutboundMessage
from bot.shared.zones import zone_or_default

__all__ = [
    "LONG_WEEKS",
    "LONG_TOKEN",
    "SHORT_WEEKS",
    "answer_labels",
    "library_labels",
    "progress_reply",
    "progress_weeks",
]

SHORT_WEEKS = 4
LONG_WEEKS = 12
LONG_TOKEN = tokens.encode(tokens.SystemButton.PROGRESS_LONG)
#: A flow step's ``progress_button: true`` (the questionnaires' menu): /progress itself.
SHORT_TOKEN = tokens.encode(tokens.SystemButton.PROGRESS)
MENU_TOKEN = tokens.encode(tokens.SystemButton.MENU)
#: What the journal holds that /progress reads (never free text: only fixed answers).
JOURNAL_KINDS = ("check_in", "trigger", "skill_practice", "lapse")


def progress_weeks(event: Inbound) -> int | None:
    """How many weeks ``event`` asks to see (/progress, or its 12-week button); None: not."""
    if (event.kind == "command" and event.command == "progress") or (
        event.kind == "button" and event.button == SHORT_TOKEN
    ):
        return SHORT_WEEKS
    if event.kind == "button" and event.button == LONG_TOKEN:
        return LONG_WEEKS
    return None


def answer_labels(engine: Engine) -> dict[str, str]:
    """Each fixed answer's value -> its button's words, across the flows (first one wins)."""
    return library_labels(engine.library)


def library_labels(library: FlowLibrary) -> dict[str, str]:
    """``answer_labels`` of a library alone (the portal's chart has no engine)."""
    labels: dict[str, str] = {}
    for compiled in library.flows.values():
        for step in compiled.flow.steps.values():
            for option in step.options or ():
                label = option.text or library.content.get(option.label or "")
                labels.setdefault(option.value, label)
    return labels


def progress_reply(
    connection: Connection,
    *,
    channel: str,
    external_id: str,
    engine: Engine,
    weeks: int,
    default_timezone: str,
    now: datetime | None = None,
) -> Reply:
    """The words now; the chart and the PDF in ``render_later``."""
    content = engine.library.content
    patient = store.find_patient(connection, channel=channel, external_id=external_id)
    zone = zone_or_default(patient.timezone if patient else None, default_timezone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    days = weeks * 7
    # From the local midnight starting the period (a day early: figures trim it exactly).
    since = datetime.combine(today - timedelta(days=days), time(), zone).astimezone(UTC)
    rows = (
        measures.administrations(connection, patient_id=patient.id, since=since) if patient else []
    )
    journal = (
        store.journal_since(connection, patient_id=patient.id, kinds=JOURNAL_KINDS, since=since)
        if patient
        else []
    )
    figures = progress_figures(
        measures=rows,
        journal=journal,
        questionnaires=questionnaires_of(engine),
        today=today,
        days=days,
        zone=zone,
    )
    lines = summary_lines(figures, content, answer_labels(engine), weeks)
    # The 4 weeks offer the 12; either way the menu, so the last message is no dead end.
    menu = (Button(content.get("system.menu_button"), token=MENU_TOKEN),)
    buttons: tuple[tuple[Button, ...], ...] = (menu,)
    if weeks == SHORT_WEEKS:
        buttons = ((Button(content.get("progress.longer_button"), token=LONG_TOKEN),), menu)
    if figures.empty:
        return Reply(
            messages=[OutboundMessage("\n".join(lines), buttons=buttons)], pressed="answered"
        )
    text = "\n".join([*lines, "", content.get("progress.not_diagnosis")])
    name = patient.display_name if patient else None
    return Reply(
        messages=[OutboundMessage(text)],
        patient_id=patient.id if patient else None,
        pressed="answered",
        render_later=partial(draw, "progress_files", figures, lines, content, name, weeks, buttons),
    )
