"""The one-page PDF for the next appointment: the same figures and chart, the patient's
chosen name and the period; no Telegram ids, no chat, no journal text.

matplotlib's PDF backend writes it: one US-letter page, the words as real text (so they
can be read back and searched) and the chart as the same picture the patient was sent.
The words use the PDF's built-in Helvetica when they fit its Latin-1 alphabet (nothing to
embed: fast); a name or word beyond it embeds a TrueType font instead, so it still shows.
"""

from __future__ import annotations

import html
import io
import logging
import re
import textwrap
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure
from numpy.typing import NDArray

from bot.coach.progress.chart import chart_pixels
from bot.coach.progress.figures import ProgressFigures
from bot.shared.content import Content, render

__all__ = ["plain", "progress_pdf"]

_TAG = re.compile(r"<[^>]+>")
# The built-in Helvetica has no "normal" weight, only "medium": matplotlib says so on every
# page at WARNING. Nothing is wrong, so only errors are logged.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
_WIDTH = 92


def plain(line: str) -> str:
    """A line of Telegram HTML as plain text for the page ("14 → 8" reads "14 to 8", in
    the built-in fonts' alphabet)."""
    return html.unescape(_TAG.sub("", line)).replace(" → ", " to ")


def progress_pdf(
    figures: ProgressFigures,
    lines: list[str],
    content: Content,
    name: str | None,
    weeks: int,
    chart: NDArray[np.uint8] | None = None,
) -> bytes:
    """``lines``: the summary (its first line, the title, is replaced by the page's own);
    ``chart``: the chart's pixels (drawn here when not given)."""
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
    wrapped = [part for line in lines[1:] for part in textwrap.wrap(plain(line), _WIDTH)]
    footer = plain(text("progress.pdf_footer"))
    words = [plain(title), plain(period), *wrapped, footer]
    pixels = chart if chart is not None else chart_pixels(figures, content)
    with rc_context(_fonts_for(words)):
        figure = Figure(figsize=(8.5, 11))
        FigureCanvasPdf(figure)
        figure.text(0.07, 0.955, words[0], fontsize=16, fontweight="bold")
        figure.text(0.07, 0.93, words[1], fontsize=11)
        y = 0.9
        for part in wrapped[:18]:
            figure.text(0.07, y, part, fontsize=10)
            y -= 0.018
        _place_chart(figure, pixels, top=y - 0.01, bottom=0.05)
        figure.text(0.07, 0.025, footer, fontsize=8, color="#444444")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="pdf", metadata={"Title": plain(title), "Creator": None})
    return buffer.getvalue()


def _fonts_for(words: list[str]) -> dict[Any, Any]:
    try:
        for word in words:
            word.encode("cp1252")
    except UnicodeEncodeError:
        return {"pdf.fonttype": 42, "font.size": 10}
    return {"pdf.use14corefonts": True, "font.family": "sans-serif", "font.size": 10}


def _place_chart(figure: Figure, pixels: NDArray[np.uint8], *, top: float, bottom: float) -> None:
    """The chart's picture, as large as fits between ``top`` and ``bottom``, centred."""
    height_px, width_px = pixels.shape[:2]
    page_w, page_h = figure.get_size_inches()
    height = top - bottom
    width = height * page_h * width_px / height_px / page_w
    if width > 0.86:
        width = 0.86
        height = width * page_w * height_px / width_px / page_h
    axes = figure.add_axes(((1 - width) / 2, top - height, width, height))
    axes.imshow(pixels, interpolation="none")  # the pixels as they are, not resampled
    axes.set_axis_off()
