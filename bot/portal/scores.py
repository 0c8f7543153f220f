"""The seam where the measures (PHQ-9, GAD-7, PEG, PC-PTSD-5) reach the portal's pages.

A ``ScoreSource`` gives, for sharing patients, their measures' administrations as plain
``Score`` values; the patient list shows each measure's latest with its band and
direction, and the patient page lists every administration (``templates/_scores.html``).
The portal is built with ``NO_MEASURES`` until the measures' table exists; the lead wires
the measures in by passing a source built on ``bot/db/measures.py`` to ``build_portal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.engine import Connection

__all__ = ["NO_MEASURES", "Score", "ScoreSource"]


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
