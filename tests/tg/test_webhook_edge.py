"""The webhook server's edge, attacked on loopback: no secret means a 403 before the body
is read, a body over the limit is refused from its Content-Length, slow connections are
dropped after the header timeout, and connections over the cap are closed at once."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from bot.flow.library import FlowLibrary
from bot.tg import webhook_server
from bot.tg.runner import running_bot
from tests.tg.conftest import FAST_RETRIES, _settings
from tests.tg_emulator import BotApiEmulator

SECRET = "s3cret-Token_1"
PATH = "/telegram-hook"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def hook(
    emu: BotApiEmulator,
    database_file: str,
    tg_library: FlowLibrary,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[int]:
    monkeypatch.setattr(webhook_server, "MAX_CONNECTIONS", 20)
    monkeypatch.setattr(webhook_server, "HEADER_TIMEOUT", 1.0)
    port = _free_port()
    settings = _settings(
        emu.base_url,
        database_file,
        webhook_url=f"http://127.0.0.1:{port}{PATH}",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=SECRET,
    )
    async with running_bot(settings, tg_library, webhook=True, retry_delays=FAST_RETRIES):
        yield port


async def _request_head(port: int, headers: dict[str, str]) -> bytes:
    """Send only the request line and headers; what the server answers within 3 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 3)
    finally:
        writer.close()


async def test_a_10_mb_body_without_the_secret_is_refused_before_it_is_read(hook: int) -> None:
    started = time.monotonic()
    answer = await _request_head(
        hook, {"Content-Type": "application/json", "Content-Length": str(10 * 1024 * 1024)}
    )
    assert answer.startswith(b"HTTP/1.1 403")  # and not one byte of the body was sent
    assert time.monotonic() - started < 2


async def test_a_body_over_the_limit_is_refused_from_its_length_even_with_the_secret(
    hook: int,
) -> None:
    answer = await _request_head(
        hook,
        {
            "Content-Type": "application/json",
            "Content-Length": str(10 * 1024 * 1024),
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        },
    )
    assert not answer.startswith(b"HTTP/1.1 200")  # closed, or an error: never read


async def test_slow_connections_are_dropped_and_those_over_the_cap_closed_at_once(
    hook: int,
) -> None:
    opened = [await asyncio.open_connection("127.0.0.1", hook) for _ in range(30)]
    try:
        await asyncio.sleep(0.3)
        closed_at_once = 0
        for reader, _ in opened:
            try:
                if await asyncio.wait_for(reader.read(1), 0.05) == b"":
                    closed_at_once += 1
            except TimeoutError:
                pass
        assert closed_at_once >= 10  # the 20-connection cap
        started = time.monotonic()
        for reader, _ in opened[:5]:  # the ones within the cap: header timeout of 1 s
            assert await asyncio.wait_for(reader.read(1), 5) == b""
        assert time.monotonic() - started < 4
    finally:
        for _, writer in opened:
            writer.close()


def test_only_the_webhook_server_is_hardened_not_every_server_built_after_it() -> None:
    from tornado.httpserver import HTTPServer

    async def build_two() -> tuple[HTTPServer, HTTPServer]:
        webhook_server.harden_webhook_server("the-run's-secret")
        webhook, later = HTTPServer(lambda request: None), HTTPServer(lambda request: None)
        return webhook, later

    webhook, later = asyncio.run(build_two())
    assert isinstance(webhook, webhook_server.HardenedHTTPServer)
    assert not isinstance(later, webhook_server.HardenedHTTPServer)  # e.g. another test's
