"""The progress chart: one panel per questionnaire with scores, one for the check-ins.

Drawn with matplotlib's object API on the Agg canvas (no display, no pyplot state, safe in
a server). Readable on a phone: a tall narrow figure, large type, thick lines. Colour-blind
safe: the Okabe-Ito colours, each line with its own marker and dash as well, bands shaded
in greys and named in words. Gaps stay gaps: a day without a check-in is a break in the
line, and scores more than three weeks apart are not joined.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from numpy.typing import NDArray
from PIL import Image

from bot.coach.progress.figures import MeasureTrend, ProgressFigures
from bot.shared.content import Content

__all__ = ["chart_png", "chart_pixels", "draw_panels", "png_of"]

#: Okabe & Ito (2008), distinguishable with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_LINES = (
    ("mood", "o", "-"),
    ("craving", "s", "--"),
    ("anxiety", "^", ":"),
    ("pain", "D", "-."),
    ("sleep", "v", (0, (6, 2, 1, 2, 1, 2))),  # dash-dot-dot: its own dash, as each has
)
_BAND_GREYS = ("#FFFFFF", "#F0F0F0", "#E0E0E0", "#D0D0D0", "#C0C0C0", "#B0B0B0")
_JOIN_DAYS = 21


def _day(day: date) -> float:
    """A day as matplotlib's date number (noon, so a point sits in the middle of its day)."""
    return float(date2num(day)) + 0.5  # type: ignore[no-untyped-call]


def _measure_panel(axes: Axes, trend: MeasureTrend, start: date, end: date, colour: str) -> None:
    top = trend.highest
    for i, (low, label) in enumerate(trend.bands):
        high = trend.bands[i + 1][0] if i + 1 < len(trend.bands) else top
        axes.axhspan(low, high, color=_BAND_GREYS[i % len(_BAND_GREYS)], zorder=0, lw=0)
        axes.text(
            1.01,
            (low + high) / 2 / top if top else 0,
            "\n".join(textwrap.wrap(label, 10)),
            transform=axes.transAxes,
            fontsize=9,
            va="center",
            color="#333333",
        )
    xs: list[float] = []
    ys: list[float] = []
    previous: date | None = None
    for day, total in trend.points:
        if previous is not None and (day - previous).days > _JOIN_DAYS:
            xs.append(_day(previous + timedelta(days=1)))
            ys.append(math.nan)  # a break: scores this far apart are not joined
        xs.append(_day(day))
        ys.append(total)
        previous = day
    axes.plot(xs, ys, color=colour, marker="o", markersize=6, linewidth=2.5, zorder=3)
    axes.set_ylim(0, top)
    axes.set_xlim(_day(start) - 0.5, _day(end) + 0.5)
    axes.set_title(trend.name, loc="left", fontsize=12, fontweight="bold")


def _checkin_panel(axes: Axes, figures: ProgressFigures, content: Content) -> None:
    for i, (name, marker, dash) in enumerate(_LINES):
        values = figures.daily.get(name, ())
        if not any(v is not None for v in values):
            continue
        ys = [math.nan if v is None else v for v in values]
        axes.plot(
            [_day(day) for day in figures.days],
            ys,
            color=OKABE_ITO[i],
            marker=marker,
            markersize=4 if len(ys) > 60 else 6,
            linestyle=dash,
            linewidth=2,
            label=content.get(f"progress.rating_names.{name}"),
        )
    axes.set_ylim(0, 10)
    axes.set_xlim(_day(figures.start) - 0.5, _day(figures.end) + 0.5)
    axes.set_title(
        content.get("progress.chart_checkins"), loc="left", fontsize=12, fontweight="bold"
    )
    axes.legend(loc="upper left", ncols=5, fontsize=9, frameon=False, bbox_to_anchor=(0, -0.18))


def draw_panels(
    figure: Figure, rect: Sequence[float], figures: ProgressFigures, content: Content
) -> None:
    """Draw the panels stacked inside ``rect`` (left, bottom, width, height, in figure
    fractions), so the chart and the PDF page share one drawing."""
    trends = [t for t in figures.measures if t.points]
    count = len(trends) + (1 if figures.checkin_days else 0)
    left, bottom, width, height = rect
    if count == 0:
        figure.text(
            left + width / 2,
            bottom + height / 2,
            content.get("progress.empty_chart"),
            ha="center",
            va="center",
            fontsize=12,
            wrap=True,
        )
        return
    slot = height / count
    ticks, tick_labels = _day_ticks(figures.start, figures.end)
    for n in range(count):
        axes = figure.add_axes(
            (left, bottom + height - slot * (n + 1) + slot * 0.22, width, slot * 0.62)
        )
        if n < len(trends):
            colour = OKABE_ITO[n % len(OKABE_ITO)]
            _measure_panel(axes, trends[n], figures.start, figures.end, colour)
        else:
            _checkin_panel(axes, figures, content)
        # Fixed ticks (a few dates, a few levels): matplotlib's automatic ones cost most
        # of the drawing time and add nothing on a phone.
        axes.set_xticks(ticks, tick_labels)
        if n < len(trends) and trends[n].bands:
            axes.set_yticks([low for low, _ in trends[n].bands][1:] + [0])  # the band edges
        else:
            top = axes.get_ylim()[1]
            axes.set_yticks([round(top * i / 2) for i in range(3)])
        axes.tick_params(labelsize=10)
        axes.grid(axis="y", color="#999999", linewidth=0.4, alpha=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)


def _day_ticks(start: date, end: date) -> tuple[list[float], list[str]]:
    """Four or five dates across the period, as "Nov 4"."""
    span = (end - start).days
    step = max(1, span // 4)
    days = [start + timedelta(days=i) for i in range(0, span + 1, step)][:5]
    return [_day(d) for d in days], [f"{d:%b} {d.day}" for d in days]


def chart_pixels(figures: ProgressFigures, content: Content) -> NDArray[np.uint8]:
    """The chart drawn once, as RGBA pixels (about 900 wide): the photo and the PDF's
    picture both come from these, so it is never drawn twice."""
    panels = sum(1 for t in figures.measures if t.points) + (1 if figures.checkin_days else 0)
    figure = Figure(figsize=(6.0, 1.0 + 2.3 * max(panels, 1)), dpi=150)
    canvas = FigureCanvasAgg(figure)
    draw_panels(figure, (0.1, 0.02, 0.7, 0.96), figures, content)
    canvas.draw()  # type: ignore[no-untyped-call]
    return np.asarray(canvas.buffer_rgba()).copy()  # type: ignore[no-untyped-call]


def png_of(pixels: NDArray[np.uint8]) -> bytes:
    """The pixels as a PNG (light compression: the chart is flat colour, it stays small)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, :3]).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def chart_png(figures: ProgressFigures, content: Content) -> bytes:
    """The chart as a PNG for a phone screen."""
    return png_of(chart_pixels(figures, content))
