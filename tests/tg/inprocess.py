"""The real bot in-process: PTB's ``Application.process_update`` with a recording request.

No HTTP and no emulator: updates are fed straight to the application, and every Bot API
call the bot makes is recorded and answered with a plausible result. For channel tests
that need no network behaviour (the HTTP emulator stays for end-to-end tests).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.flow.library import FlowLibrary
from bot.tg.runner import App, build_application

BOT_USER = {"id": 1, "is_bot": True, "first_name": "Coach", "username": "coach_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class RecordingRequest(BaseRequest):
    """Answers every Bot API call as Telegram would, and keeps them in order."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        self.calls.append(Call(name, params))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in ("sendMessage", "editMessageReplyMarkup", "editMessageText"):
            chat = {"id": params.get("chat_id", 0), "type": "private"}
            return {
                "message_id": next(self._ids),
                "date": 0,
                "chat": chat,
                "text": params.get("text", ""),
            }
        return True

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages sent to ``chat_id`` so far."""
        return [
            c.params
            for c in self.calls
            if c.method == "sendMessage" and c.params.get("chat_id") == chat_id
        ]


@dataclass
class InProcessBot:
    app: App
    request: RecordingRequest
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def feed(self, data: dict[str, Any]) -> None:
        data = {"update_id": next(self._update_ids), **data}
        await self.app.process_update(Update.de_json(data, self.app.bot))

    async def say(
        self, chat_id: int, text: str, chat_type: str = "private"
    ) -> list[dict[str, Any]]:
        """The user types ``text``; the messages the bot sent in answer."""
        before = len(self.request.sent(chat_id))
        chat = {"id": chat_id, "type": chat_type, "first_name": "Pat"}
        user = {"id": chat_id, "is_bot": False, "first_name": "Pat"}
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            if text.startswith("/")
            else []
        )
        message = {
            "message_id": next(self._update_ids),
            "date": 0,
            "chat": chat,
            "from": user,
            "text": text,
        }
        if entities:
            message["entities"] = entities
        await self.feed({"message": message})
        return self.request.sent(chat_id)[before:]

    async def tap(self, chat_id: int, label: str) -> list[dict[str, Any]]:
        """The user taps the newest button labelled ``label``; what the bot sent in answer."""
        sent = self.request.sent(chat_id)
        for message in reversed(sent):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            data = next(
                (b.get("callback_data") for row in rows for b in row if b.get("text") == label),
                None,
            )
            if data is not None:
                break
        else:
            raise AssertionError(f"no button {label!r}")
        before = len(sent)
        user = {"id": chat_id, "is_bot": False, "first_name": "Pat"}
        chat = {"id": chat_id, "type": "private", "first_name": "Pat"}
        query = {
            "id": str(next(self._update_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": chat,
                "text": message.get("text", ""),
                "reply_markup": message.get("reply_markup"),
            },
        }
        await self.feed({"callback_query": query})
        return self.request.sent(chat_id)[before:]

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.request.calls if c.method == method]


@asynccontextmanager
async def inprocess_bot(settings: Settings, library: FlowLibrary) -> AsyncIterator[InProcessBot]:
    """The bot as ``coach run`` builds it, started without an updater."""
    request = RecordingRequest()
    app = build_application(settings, library, max_rate=0, request=request)
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        try:
            yield InProcessBot(app, request)
        finally:
            await app.stop()
            assert app.post_stop is not None
            await app.post_stop(app)
    finally:
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
