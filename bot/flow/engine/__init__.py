"""The engine: routing (``routing``), the crisis hold (``crisis``), commands and the
coach's own buttons (``commands``), leaving and resuming (``resume``), the flow-stack
runner (``runner``), all over the shared context and output helpers of ``parts``.
``screening`` is the crisis seam."""

from bot.flow.engine.routing import Engine
from bot.flow.engine.runner import MAX_STEPS_PER_EVENT
from bot.flow.engine.screening import Screener

__all__ = ["MAX_STEPS_PER_EVENT", "Engine", "Screener"]
