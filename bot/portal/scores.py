"""The seam where the measures (PHQ-9, GAD-7, PEG, PC-PTSD-5) reach the portal's pages.

A ``ScoreSource`` gives, for sharing patients, their measures' administrations as plain
``Score`` values; the patient list shows each measure's latest with its band and
direction, and the patient page lists every administration (``templates/_scores.html``).
``StoredScores`` reads them from ``bot/db/measures.py``; ``NO_MEASURES`` shows none (tests
of the pages without questionnaires).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import yaml
from sqlalchemy.engine import Connection

from bot.db import measures
from bot.db.portal_reads import latest_scored_totals

__all__ = ["NO_MEASURES", "Score", "ScoreSource", "StoredScores", "questionnaire_names"]


@dataclass(frozen=True)
class Score:
    """One administration: ``measure`` (``PHQ-9``), its total, band (``moderate``) and the
    direction since the one before (``up``, ``down``, ``same``, or None for the first)."""

    measure: str
    at: datetime
    total: float
    band: str | None = None
    direction: Literal["up", "down", "same"] | None = None


class ScoreSource(Protocol):
    def latest(self, connection: Connection, patient_ids: Sequence[int]) -> dict[int, list[Score]]:
        """Each patient's latest score per measure (for the list)."""
        ...

    def every(self, connection: Connection, patient_id: int, since: datetime) -> list[Score]:
        """Every administration since ``since``, newest first (for the patient page)."""
        ...


class _NoMeasures:
    """No measures are stored yet: no scores to show (the pages say so)."""

    def latest(self, connection: Connection, patient_ids: Sequence[int]) -> dict[int, list[Score]]:
        return {}

    def every(self, connection: Connection, patient_id: int, since: datetime) -> list[Score]:
        return []


NO_MEASURES: ScoreSource = _NoMeasures()


def questionnaire_names(flows_dir: Path) -> dict[str, str]:
    """Each questionnaire's measure id and the name its flow file gives it ("PHQ-9"): the
    portal shows the names the patient saw, without loading the whole flow library."""
    names: dict[str, str] = {}
    for path in sorted(flows_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the bot's own check reports a broken flow file
        form = data.get("questionnaire") if isinstance(data, dict) else None
        if isinstance(form, dict) and isinstance(form.get("measure"), str):
            names[form["measure"]] = str(form.get("name") or form["measure"])
    return names


def _direction(before: float | None, after: float) -> Literal["up", "down", "same"] | None:
    if before is None:
        return None
    return "up" if after > before else "down" if after < before else "same"


class StoredScores:
    """The measures' administrations as stored (``measure_administrations``)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def _scores(self, rows: list[tuple[int, str, datetime, float, str | None]]) -> list[Score]:
        previous: dict[tuple[int, str], float] = {}
        scores = []
        for patient_id, measure, at, total, band in rows:
            before = previous.get((patient_id, measure))
            previous[(patient_id, measure)] = total
            name = self.names.get(measure, measure)
            scores.append(Score(name, at, total, band, _direction(before, total)))
        return scores

    def latest(self, connection: Connection, patient_ids: Sequence[int]) -> dict[int, list[Score]]:
        latest: dict[int, dict[str, Score]] = {}
        for patient_id, measure, at, total, band, before in latest_scored_totals(
            connection, patient_ids
        ):  # one row a measure: its latest, with the total its direction is from
            name = self.names.get(measure, measure)
            score = Score(name, at, total, band, _direction(before, total))
            latest.setdefault(patient_id, {})[name] = score
        return {patient_id: list(by_measure.values()) for patient_id, by_measure in latest.items()}

    def every(self, connection: Connection, patient_id: int, since: datetime) -> list[Score]:
        rows = measures.scored_totals(connection, patient_ids=[patient_id])
        scores = self._scores(rows)  # directions need the ones before ``since`` too
        return [score for score in reversed(scores) if score.at >= since]
