"""HTTP to the Bot API with a bounded number of requests in flight.

httpx's connection pool looks at every connection and every queued request each time a
request starts or ends; with hundreds of chats answered at once that bookkeeping costs
more than the requests. Requests beyond ``connection_pool_size`` wait here instead, on a
semaphore (cheap), so the pool only ever sees as many requests as it has connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest

__all__ = ["BoundedRequest"]

DEFAULT_CONNECTIONS = 8


class BoundedRequest(HTTPXRequest):
    """``HTTPXRequest`` that lets at most ``connection_pool_size`` requests run at once."""

    def __init__(self, connection_pool_size: int = DEFAULT_CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=connection_pool_size, **kwargs)
        self._in_flight = asyncio.Semaphore(connection_pool_size)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._in_flight:
            return await super().do_request(*args, **kwargs)
