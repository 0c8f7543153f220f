"""The webhook server's edge: timeouts, a connection cap, a body limit, the secret first.

PTB serves the webhook with tornado's ``HTTPServer`` and its defaults: an hour before an
idle or half-sent request is dropped, no cap on connections (3,000 slow ones exhausted the
file limit), a 100 MB body, and the secret token checked only after the whole body was
read. ``harden_webhook_server`` makes the next ``HTTPServer`` built (tornado's
``Configurable``; PTB builds the webhook's right after) a ``HardenedHTTPServer``, and only
that one: tornado's choice is a process setting, so the hardened server puts it back as it
is built, and a server built later (another test's, another library's) is tornado's own.

* headers must arrive within ``HEADER_TIMEOUT`` seconds (tornado uses the idle timeout
  for them) and the body within ``BODY_TIMEOUT``;
* at most ``MAX_CONNECTIONS`` connections are open; more are closed at once, and counted;
* a body over ``MAX_BODY`` bytes is refused from its Content-Length, before it is read;
* a request without the right ``X-Telegram-Bot-Api-Secret-Token`` header gets its 403
  as soon as its headers are in: its body is never read.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from bot import metrics

__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_BODY",
    "MAX_CONNECTIONS",
    "HardenedHTTPServer",
    "harden_webhook_server",
]

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
#: Telegram's updates are a few kilobytes; a megabyte is a wide margin.
MAX_BODY = 1024 * 1024
#: Telegram opens at most 100 connections to a webhook (40 unless told otherwise).
MAX_CONNECTIONS = 256
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class HardenedHTTPServer(HTTPServer):
    """tornado's server with a connection cap and the secret checked from the headers."""

    #: Connections over the cap closed so far (a warning is logged for every hundredth).
    refused_connections = 0

    def initialize(
        self,
        *args: Any,
        secret: str | None = None,
        max_connections: int = MAX_CONNECTIONS,
        **kwargs: Any,
    ) -> None:
        super().initialize(*args, **kwargs)
        HTTPServer.configure(None)  # this server only (see the module's docstring)
        self._secret = secret
        self._max_connections = max_connections

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if len(self._connections) >= self._max_connections:
            HardenedHTTPServer.refused_connections += 1
            metrics.WEBHOOK_REFUSED.labels(reason="over_cap").inc()
            if HardenedHTTPServer.refused_connections % 100 == 1:
                log.warning(
                    "webhook connections over the cap closed count=%d",
                    HardenedHTTPServer.refused_connections,
                )
            stream.close()
            return
        super().handle_stream(stream, address)

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        delegate = super().start_request(server_conn, request_conn)
        if self._secret is None:
            return delegate
        return _SecretFirst(delegate, request_conn, self._secret)


class _SecretFirst(httputil.HTTPMessageDelegate):
    """Answers 403 and closes as soon as the headers lack the secret; else passes through."""

    def __init__(
        self, delegate: httputil.HTTPMessageDelegate, connection: Any, secret: str
    ) -> None:
        self.delegate = delegate
        self.connection = connection
        self.secret = secret

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Any:
        given = headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            metrics.WEBHOOK_REFUSED.labels(reason="no_secret").inc()
            log.info("webhook request without the secret refused")
            stream = self.connection.detach()  # the body is never read
            written = stream.write(_FORBIDDEN)
            written.add_done_callback(lambda _done: stream.close())
            return None
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        self.delegate.finish()

    def on_connection_close(self) -> None:
        self.delegate.on_connection_close()


def harden_webhook_server(secret: str | None) -> None:
    """The next tornado ``HTTPServer`` built is a ``HardenedHTTPServer`` with ``secret``."""
    HTTPServer.configure(
        HardenedHTTPServer,
        secret=secret,
        max_connections=MAX_CONNECTIONS,
        idle_connection_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        max_body_size=MAX_BODY,
        max_buffer_size=MAX_BODY,
    )
