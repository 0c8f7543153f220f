"""The one-page PDF for the next appointment: the same figures and chart, the patient's
chosen name and the period; no Telegram ids, no chat, no journal text.

matplotlib's PDF backend draws it (one US-letter page; TrueType fonts, so the text can be
read back and searched).
"""

from __future__ import annotations

import html
import io
import re
import textwrap

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from bot.coach.progress.chart import draw_panels
from bot.coach.progress.figures import ProgressFigures
from bot.shared.content import Content, render

__all__ = ["plain", "progress_pdf"]

_TAG = re.compile(r"<[^>]+>")
_WIDTH = 92


def plain(line: str) -> str:
    """A line of Telegram HTML as plain text."""
    return html.unescape(_TAG.sub("", line))


def progress_pdf(
    figures: ProgressFigures, lines: list[str], content: Content, name: str | None, weeks: int
) -> bytes:
    """``lines``: the summary (its first line, the title, is replaced by the page's own)."""
    text = content.get
    title = (
        render(text("progress.pdf_title"), {"name": name})
        if name
        else text("progress.pdf_title_no_name")
    )
    period = render(
        text("progress.pdf_period"),
        {"start": f"{figures.start:%B %d, %Y}", "end": f"{figures.end:%B %d, %Y}", "weeks": weeks},
    )
    with rc_context({"pdf.fonttype": 42, "font.size": 10}):
        figure = Figure(figsize=(8.5, 11))
        FigureCanvasPdf(figure)
        figure.text(0.07, 0.955, plain(title), fontsize=16, fontweight="bold")
        figure.text(0.07, 0.93, plain(period), fontsize=11)
        wrapped = [part for line in lines[1:] for part in textwrap.wrap(plain(line), _WIDTH)]
        y = 0.9
        for part in wrapped[:18]:
            figure.text(0.07, y, part, fontsize=10)
            y -= 0.018
        draw_panels(figure, (0.09, 0.07, 0.74, y - 0.1), figures, content)
        figure.text(0.07, 0.025, plain(text("progress.pdf_footer")), fontsize=8, color="#444444")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="pdf", metadata={"Title": plain(title), "Creator": None})
    return buffer.getvalue()
