"""HTTP to the Bot API over aiohttp instead of httpx.

PTB's default ``HTTPXRequest`` goes through httpx, httpcore and anyio; in the Telegram
benchmark those layers cost more CPU per update than the coach's own engine and SQL
transaction together. aiohttp does the same job with fewer layers. The interface is PTB's
``BaseRequest``, so the bot, the rate limiter and the error types are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

DEFAULT_CONNECTIONS = 8


class AiohttpRequest(BaseRequest):
    """At most ``connections`` requests in flight; each with PTB's timeouts.
    ``inspect``: sees the status and body of every answer and returns the body PTB is to
    read (the polling watch)."""

    def __init__(
        self,
        connections: int = DEFAULT_CONNECTIONS,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
        inspect: Callable[[int, bytes], bytes] | None = None,
    ) -> None:
        self._inspect = inspect
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            self._connect_timeout
            if connect_timeout is BaseRequest.DEFAULT_NONE
            else connect_timeout
        )
        # aiohttp has no write timeout; an upload is bounded by the read timeout instead,
        # which is at least the media write timeout when there are files.
        if files and read is not None and self._media_write_timeout is not None:
            read = max(read, self._media_write_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout,
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = None
        if request_data is not None:
            body = _form(request_data, files)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                body = await response.read()
                if self._inspect is not None:
                    body = self._inspect(response.status, body)
                return response.status, body
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _form(request_data: RequestData, files: dict[str, Any] | None) -> Any:
    """Form-encoded parameters, or multipart when there are files (as PTB's httpx sends)."""
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
