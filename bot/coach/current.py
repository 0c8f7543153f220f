"""The one holder of the running engine: every event reads it once, a reload swaps it.

The service, the channel's texts, the on-call notices and the reminder loop all read the
engine here, so after a reload none of them can be left on the old one; the swap is one
assignment, so an event sees the old engine or the new one, never a mixture.
"""

from __future__ import annotations

from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.shared.content import Content

__all__ = ["CurrentEngine"]


class CurrentEngine:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def library(self) -> FlowLibrary:
        return self._engine.library

    @property
    def content(self) -> Content:
        return self._engine.library.content

    def swap(self, engine: Engine) -> Engine:
        """Use ``engine`` from the next event on; returns the one it replaces."""
        old, self._engine = self._engine, engine
        return old
