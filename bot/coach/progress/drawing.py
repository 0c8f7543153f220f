"""What the drawing process runs: /progress's chart and PDF, and the portal's chart page.

Started as ``python -m bot.coach.progress.drawing`` by ``bot.coach.progress.drawer``
(``bot.shared.worker_process``): the only module of the bot that imports matplotlib, so
the bot's own processes never carry it. Each function here takes and returns plain values
(figures, texts, bytes) that travel through the pipe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.coach.progress.chart import chart_pixels, png_of
from bot.coach.progress.document import progress_pdf
from bot.coach.progress.figures import ProgressFigures
from bot.shared.content import Content, render
from bot.shared.messages import Attachment, Button, OutboundMessage
from bot.shared.worker_process import serve

__all__ = ["FUNCTIONS", "progress_files"]


def progress_files(
    figures: ProgressFigures,
    lines: list[str],
    content: Content,
    name: str | None,
    weeks: int,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> list[OutboundMessage]:
    """The chart (a photo) and the one-page PDF (a document)."""
    period = {"start": f"{figures.start:%b %d}", "end": f"{figures.end:%b %d}"}
    pixels = chart_pixels(figures, content)
    chart = Attachment("photo", "progress.png", png_of(pixels))
    pdf = Attachment(
        "document",
        f"progress-{figures.start:%Y-%m-%d}-to-{figures.end:%Y-%m-%d}.pdf",
        progress_pdf(figures, lines, content, name, weeks, chart=pixels),
    )
    return [
        OutboundMessage(render(content.get("progress.chart_caption"), period), attachment=chart),
        OutboundMessage(content.get("progress.pdf_caption"), attachment=pdf, buttons=buttons),
    ]


#: What the parent may ask for, by name (``WorkerProcess.call``).
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "progress_files": progress_files,
    "progress_pdf": progress_pdf,
}

if __name__ == "__main__":
    serve(FUNCTIONS)
