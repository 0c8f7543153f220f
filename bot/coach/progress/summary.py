"""The progress figures in plain words: one line per figure, for the message and the PDF.

"PHQ-9: 14 → 8, moderate → mild"; "Average mood 5.2 (up 1.1)". Words come from
content/progress.yaml; answers' labels (skills, feelings, HALT) from the flows' own
buttons, so the summary reads as the patient answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.coach.progress.figures import MeasureTrend, ProgressFigures
from bot.shared.content import Content, format_value, render

__all__ = ["summary_lines"]


def _number(value: float, decimals: int = 0) -> str:
    return f"{value:.{decimals}f}" if decimals else format_value(round(value))


def _measure_line(trend: MeasureTrend, content: Content) -> str | None:
    if trend.latest is None:
        return (
            render(content.get("progress.measure_unscored"), {"measure": trend.name})
            if trend.not_scored
            else None
        )
    values = {
        "measure": trend.name,
        "first": _number(trend.first or 0, trend.decimals),
        "latest": _number(trend.latest, trend.decimals),
        "first_band": trend.first_band or "",
        "latest_band": trend.latest_band or "",
    }
    banded = trend.latest_band is not None
    if trend.change is None:
        key = "progress.measure_one_band" if banded else "progress.measure_one"
    else:
        key = "progress.measure_change_bands" if banded else "progress.measure_change"
    return render(content.get(key), values)


def summary_lines(
    figures: ProgressFigures, content: Content, labels: Mapping[str, str], weeks: int
) -> list[str]:
    """The figures as lines of Telegram HTML (the first is the title)."""
    text = content.get
    lines = [
        render(
            text("progress.title"),
            {"weeks": weeks, "start": f"{figures.start:%b %d}", "end": f"{figures.end:%b %d}"},
        )
    ]
    if figures.empty:
        lines.append(render(text("progress.empty"), {"weeks": weeks}))
        return lines
    lines.extend(line for t in figures.measures if (line := _measure_line(t, content)))
    if figures.checkin_days:
        lines.append(
            render(
                text("progress.checkins"),
                {"count": figures.checkin_days, "days": len(figures.days)},
            )
        )
        parts = []
        for trend in figures.ratings:
            if trend.average is None:
                continue
            name = text(f"progress.rating_names.{trend.name}")
            change = trend.change
            key = "progress.rating"
            if change is not None and change > 0:
                key = "progress.rating_up"
            elif change is not None and change < 0:
                key = "progress.rating_down"
            values = {"name": name, "average": trend.average, "change": abs(change or 0)}
            parts.append(render(text(key), values))
        if parts:
            lines.append(
                render(text("progress.ratings"), {"ratings": "\x02"}).replace(
                    "\x02", ", ".join(parts)
                )
            )
        lines.append(
            render(
                text("progress.kratom"),
                {
                    "used": figures.kratom_days,
                    "count": figures.checkin_days,
                    "more": figures.kratom_more_days,
                    "free": figures.kratom_free_days,
                },
            )
        )
    if figures.other_substance_days:
        items = _counted(figures.other_substances, labels)
        values = {"days": figures.other_substance_days, "count": figures.checkin_days}
        lines.append(render(text("progress.others"), {**values, "items": items}))
    if figures.lapses:
        lines.append(render(text("progress.lapses"), {"count": figures.lapses}))
    for key, counted in (("progress.triggers", figures.triggers), ("progress.halt", figures.halt)):
        if counted:
            items = _counted(counted, labels)
            lines.append(render(text(key), {"items": items}))
    if figures.skills:
        skills: list[str] = []
        for use in figures.skills[:4]:
            values = {
                "skill": labels.get(use.skill, use.skill),
                "times": use.times,
                "drop": use.average_drop,
            }
            if use.average_drop is None:
                key = "progress.skill_times"
            elif use.average_drop > 0:
                key = "progress.skill_helped"
            else:  # never "down -1": distress stayed the same or rose after it
                key = "progress.skill_not_lower"
            skills.append(render(text(key), values))
        lines.append(
            render(text("progress.skills"), {"items": "\x02"}).replace("\x02", ", ".join(skills))
        )
    return lines


def _counted(counted: Sequence[tuple[str, int]], labels: Mapping[str, str]) -> str:
    """Fixed answers and their counts in words: "alcohol (3), gabapentin (1)"."""
    return ", ".join(f"{labels.get(value, value).lower()} ({n})" for value, n in counted)
