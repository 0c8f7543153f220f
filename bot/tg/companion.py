"""Something that runs inside the bot's process beside it (the clinician portal).

The bot starts each companion once it is ready and stops it before it shuts down; the
companion brings its own server and database connection, so the bot knows nothing of it.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Companion"]


class Companion(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...
