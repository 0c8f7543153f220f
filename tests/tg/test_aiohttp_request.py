"""The bot's aiohttp transport maps timeouts and network failures to PTB's errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.tg.aiohttp_request import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response({"ok": True, "result": dict(form)})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_parameters_are_posted_as_a_form(server: str) -> None:
    request = AiohttpRequest()
    await request.initialize()
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("text", "hi & bye"),
        ]
    )
    status, body = await request.do_request(f"{server}/echo", "POST", data)
    await request.shutdown()
    assert status == 200 and b'"text": "hi & bye"' in body and b'"chat_id": "42"' in body


async def test_a_slow_answer_is_a_timeout_and_no_server_is_a_network_error(server: str) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    with pytest.raises(TimedOut):
        await request.do_request(f"{server}/slow", "POST", RequestData([]))
    with pytest.raises(NetworkError):
        await request.do_request("http://127.0.0.1:1/nothing", "POST", RequestData([]))
    await request.shutdown()
