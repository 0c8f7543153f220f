"""`kill -HUP <pid>` reloads flows and content, as /reload does (Unix only).

The reload runs as a task of its own, so the signal handler returns at once; a reference
is kept until it is done, since asyncio keeps only a weak one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["reload_on_sighup"]

log = logging.getLogger(__name__)

_RUNNING: set[asyncio.Task[Any]] = set()


def reload_on_sighup(reload: Callable[[], Coroutine[Any, Any, None]] | None) -> None:
    """Run ``reload`` on each SIGHUP from now on; None removes the handler."""
    if not hasattr(signal, "SIGHUP"):
        return
    loop = asyncio.get_running_loop()
    try:
        if reload is None:
            loop.remove_signal_handler(signal.SIGHUP)
        else:
            loop.add_signal_handler(signal.SIGHUP, lambda: _in_background(reload()))
    except (NotImplementedError, RuntimeError, ValueError):
        log.info("SIGHUP reload is not available here; use /reload")


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
