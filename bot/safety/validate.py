"""``validate_crisis_file``: every problem of the crisis file, compiling its phrases too.

It lives apart from the loader because it needs the detector, which needs the loader's
models: this way the arrows point one way (validate -> detector -> config).
"""

from __future__ import annotations

from pathlib import Path

from bot.safety.config import load_crisis_config
from bot.safety.detector import CrisisDetector
from bot.shared.problems import Problem, ProblemsFound

__all__ = ["validate_crisis_file"]


def validate_crisis_file(path: Path | str) -> list[Problem]:
    """Every problem in the crisis file (empty when it is fine), including compiling it."""
    try:
        config = load_crisis_config(path)
    except ProblemsFound as exc:
        return list(exc.problems)
    try:
        CrisisDetector.from_config(config)
    except ProblemsFound as exc:
        return list(exc.problems)
    return []
