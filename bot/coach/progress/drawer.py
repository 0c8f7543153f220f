"""The bot's one drawing process (``bot.coach.progress.drawing``), started when needed.

/progress and the portal's chart page draw through it, one drawing at a time (which is
also what keeps matplotlib's process-wide font settings to one page at a time). Its child
gets no token, key or database address: every setting's name is kept from its
environment.
"""

from __future__ import annotations

import atexit
from typing import Any

from bot.config import Settings
from bot.shared.worker_process import WorkerProcess

__all__ = ["DRAWER", "draw"]

#: Drawing a year takes well under a second; a minute means the child is stuck.
DRAWER = WorkerProcess(
    "bot.coach.progress.drawing",
    timeout=60.0,
    idle_seconds=300.0,
    max_calls=100,
    private_env=Settings.model_fields,
)


def draw(function: str, *args: Any) -> Any:
    """``bot.coach.progress.drawing.FUNCTIONS[function](*args)`` in the drawing process.

    Blocking: call it from a worker thread. Raises ``WorkerFailed`` when nothing came back.
    """
    return DRAWER.call(function, *args)


# The child would stop by itself when the pipe closes; this ends it without a warning.
atexit.register(DRAWER.close)
