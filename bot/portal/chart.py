"""The patient's chart as a PDF for the practice's record: /progress's own page.

Nothing is drawn here. The figures are ``progress_figures`` (the one place /progress's
numbers are made), the lines are ``summary_lines`` and the page is ``progress_pdf`` with
its chart, all from ``bot.coach.progress``; the portal only supplies the rows a share
allows (``bot.db.portal_reads.chart_data``), the practice's own label as the name, and
the patient page's year as the period. The page is drawn in the drawing process
(``bot.coach.progress.drawer``, one page at a time), called from a worker thread after the
read's transaction has ended.
"""

from __future__ import annotations

from datetime import datetime

from bot.coach.progress.command import library_labels
from bot.coach.progress.drawer import draw
from bot.coach.progress.figures import progress_figures
from bot.coach.progress.summary import summary_lines
from bot.db.portal_reads import ChartData
from bot.flow.library import FlowLibrary
from bot.shared.zones import zone_or_default

__all__ = ["chart_file_name", "chart_pdf"]


def chart_pdf(
    data: ChartData, library: FlowLibrary, *, now: datetime, days: int, default_timezone: str
) -> bytes:
    """The one-page PDF of ``days`` local days ending today in the patient's time zone."""
    zone = zone_or_default(data.timezone, default_timezone)
    questionnaires = {
        c.flow.questionnaire.measure: c.flow.questionnaire
        for c in library.flows.values()
        if c.flow.questionnaire is not None
    }
    figures = progress_figures(
        measures=data.measures,
        journal=data.journal,
        questionnaires=questionnaires,
        today=now.astimezone(zone).date(),
        days=days,
        zone=zone,
    )
    weeks = round(days / 7)
    lines = summary_lines(figures, library.content, library_labels(library), weeks)
    pdf: bytes = draw(
        "progress_pdf", figures, lines, library.content, data.share.label or None, weeks
    )
    return pdf


def chart_file_name(share_id: int, now: datetime) -> str:
    """The download's name: the share's number and the day, never the patient's label."""
    return f"chart-{share_id}-{now:%Y-%m-%d}.pdf"
