"""An in-process Telegram Bot API emulator speaking real HTTP on 127.0.0.1.

Point python-telegram-bot at it with ``base_url=emu.base_url`` (``"http://127.0.0.1:PORT/bot"``;
PTB appends the token, then ``/<method>``).  PTB posts ``application/x-www-form-urlencoded``
bodies (``multipart/form-data`` when uploading files) in which ``str`` values are sent as is and
everything else (ints, bools, dicts, lists) JSON-encoded; the emulator also accepts JSON bodies
and query strings.  Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the HTTP status
equal to ``error_code`` - PTB maps the *HTTP status* to its exception classes (400 BadRequest,
401/404 InvalidToken, 403 Forbidden, 409 Conflict, others NetworkError) and
``parameters.retry_after`` to ``RetryAfter``.

Control HTTP API (used by ``python -m tests.tg_emulator`` for benchmarks in another process;
all bodies/answers are JSON):

``POST /_emu/user``     ``{"user_id", "first_name"?, "username"?, "last_name"?}``
``POST /_emu/send``     ``{"user_id", "text"}`` (user must exist or is created) -> queued update
``POST /_emu/press``    ``{"user_id", "label", "message_id"?}`` -> queued callback_query update
``GET  /_emu/sent?chat_id=N[&since=K]`` -> bot messages to that chat (``since``: skip first K)
``GET  /_emu/wait?chat_id=N&count=1&timeout=5[&since=K]`` -> long-poll until ``since+count``
                        bot messages exist (``since`` defaults to the chat's reply cursor)
``POST /_emu/config``   any of ``{"blocked": [ids], "unblocked": [ids],
                        "rate_limit": {"max_calls", "window", "per_chat"?, "retry_after"?} | null,
                        "fail_next": {"method", "count", "status", "description", "drop",
                        "retry_after"?, "chat_id"?},
                        "fail_for": {"method", "seconds", "status", "description", "drop",
                        "retry_after"?, "chat_id"?},
                        "hang": {"method", "seconds"},
                        "response_delay": seconds, "strict_html": bool}``
``GET  /_emu/stats``    counters, per-method call counts and reply latencies (seconds)
``POST /_emu/reset``    forget messages, updates, calls and faults (keeps users/chats)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from .formatting import EntityParseError, parse_text, utf16_len

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "EmulatedChannel",
    "EmulatedGroup",
    "EmulatedUser",
    "QueuedUpdate",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """Raised inside a method handler; becomes a Bot API error answer."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


class _DropConnection(Exception):
    pass


# --------------------------------------------------------------------------- records


@dataclass
class QueuedUpdate:
    """An update the emulated Telegram queued for the bot."""

    update_id: int
    kind: str
    payload: dict
    chat_id: int | None
    queued_at: float  # time.monotonic()
    delivered_at: float | None = None  # first time handed out (getUpdates / webhook POST)
    confirmed: bool = False

    @property
    def message_id(self) -> int | None:
        body = self.payload.get(self.kind)
        if isinstance(body, dict):
            if "message_id" in body:
                return body["message_id"]
            msg = body.get("message")
            if isinstance(msg, dict):
                return msg.get("message_id")
        return None


@dataclass
class BotMessage:
    """A message the bot sent, as it currently is (after edits)."""

    chat_id: int
    message_id: int
    method: str
    text: str | None  # plain text as Telegram shows it (markup parsed out); caption for media
    raw_text: str | None  # text exactly as the bot sent it
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    params: dict
    payload: dict  # the Message object returned to the bot (kept up to date)
    received_at: float  # time.monotonic()
    reply_to_update: QueuedUpdate | None = None  # newest update of this chat queued before
    edits: list[dict] = field(default_factory=list)
    deleted: bool = False

    @property
    def latency(self) -> float | None:
        """Seconds from the triggering update being queued to this message arriving."""
        if self.reply_to_update is None:
            return None
        return self.received_at - self.reply_to_update.queued_at

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the (inline or reply) keyboard, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in rows]

    def button(self, label: str) -> dict | None:
        for row in (self.reply_markup or {}).get("inline_keyboard") or []:
            for b in row:
                if b.get("text") == label:
                    return b
        return None

    def as_dict(self) -> dict:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "method": self.method,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "received_at": self.received_at,
            "latency": self.latency,
            "edits": len(self.edits),
            "deleted": self.deleted,
        }


@dataclass
class ApiCall:
    method: str  # as the client spelled it
    params: dict
    at: float
    status: int = 0  # HTTP status answered (0 while running / dropped)
    description: str | None = None


@dataclass
class _Fault:
    method: str | None  # lower-case, None = any method
    remaining: int
    status: int
    description: str
    drop: bool
    parameters: dict | None
    until: float | None = None  # time.monotonic() after which the fault is over
    chat_id: int | None = None  # only calls for this chat (None: any)

    def applies(self, method: str, params: dict, now: float) -> bool:
        if self.remaining <= 0 or self.method not in (None, method):
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


# --------------------------------------------------------------------------- actors


class _Actor:
    def __init__(self, emu: BotApiEmulator, chat_id: int):
        self.emu = emu
        self.chat_id = chat_id

    def sent(self) -> list[BotMessage]:
        return self.emu.sent(self.chat_id)

    @property
    def last(self) -> BotMessage | None:
        msgs = [m for m in self.emu.sent(self.chat_id) if not m.deleted]
        return msgs[-1] if msgs else None

    async def wait_for_reply(self, timeout: float = 5.0, count: int = 1) -> list[BotMessage]:
        return await self.emu.wait_for_reply(self.chat_id, timeout=timeout, count=count)


class EmulatedUser(_Actor):
    """A Telegram user with a private chat with the bot (chat id == user id)."""

    def __init__(self, emu: BotApiEmulator, user: dict):
        super().__init__(emu, user["id"])
        self.user_id: int = user["id"]
        self.data = user

    @property
    def chat(self) -> dict:
        return self.emu.chats[self.chat_id]

    async def send(self, text: str, *, reply_to: int | None = None, **extra: Any) -> QueuedUpdate:
        return await self.emu.queue_message(
            self.chat_id, self.user_id, text=text, reply_to=reply_to, **extra
        )

    async def send_sticker(self, emoji: str = "🙂", **extra: Any) -> QueuedUpdate:
        fid = self.emu.new_file("sticker")
        sticker = {
            **fid,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "EmuStickers",
        }
        return await self.emu.queue_message(self.chat_id, self.user_id, sticker=sticker, **extra)

    async def send_photo(self, caption: str | None = None, **extra: Any) -> QueuedUpdate:
        base = self.emu.new_file("photo")
        photo = [
            {
                "file_id": f"{base['file_id']}_{w}",
                "file_unique_id": f"{base['file_unique_id']}{w}",
                "width": w,
                "height": h,
                "file_size": size,
            }
            for w, h, size in ((90, 67, 1200), (320, 240, 15000), (1280, 960, 120000))
        ]
        for p in photo:
            self.emu.files[p["file_id"]] = {**p, "file_path": f"photos/{p['file_id']}.jpg"}
        return await self.emu.queue_message(
            self.chat_id, self.user_id, photo=photo, caption=caption, **extra
        )

    async def send_voice(
        self, duration: int = 3, caption: str | None = None, **extra: Any
    ) -> QueuedUpdate:
        voice = {
            **self.emu.new_file("voice", ext="oga"),
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4000 * duration,
        }
        return await self.emu.queue_message(
            self.chat_id, self.user_id, voice=voice, caption=caption, **extra
        )

    async def send_document(
        self,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **extra: Any,
    ) -> QueuedUpdate:
        doc = {
            **self.emu.new_file("document", ext=file_name.rsplit(".", 1)[-1]),
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 2048,
        }
        return await self.emu.queue_message(
            self.chat_id, self.user_id, document=doc, caption=caption, **extra
        )

    async def send_video(
        self, duration: int = 5, caption: str | None = None, **extra: Any
    ) -> QueuedUpdate:
        video = {
            **self.emu.new_file("video", ext="mp4"),
            "width": 640,
            "height": 360,
            "duration": duration,
            "mime_type": "video/mp4",
            "file_size": 100000,
        }
        return await self.emu.queue_message(
            self.chat_id, self.user_id, video=video, caption=caption, **extra
        )

    async def send_location(
        self, latitude: float = 52.52, longitude: float = 13.405, **extra: Any
    ) -> QueuedUpdate:
        loc = {"latitude": latitude, "longitude": longitude}
        return await self.emu.queue_message(self.chat_id, self.user_id, location=loc, **extra)

    async def send_contact(
        self,
        phone_number: str = "+15550100",
        first_name: str = "Friend",
        user_id: int | None = None,
        **extra: Any,
    ) -> QueuedUpdate:
        contact = {"phone_number": phone_number, "first_name": first_name}
        if user_id is not None:
            contact["user_id"] = user_id
        return await self.emu.queue_message(self.chat_id, self.user_id, contact=contact, **extra)

    async def edit(self, message_id: int, text: str) -> QueuedUpdate:
        return await self.emu.queue_edit(self.chat_id, message_id, text)

    async def press(self, label: str) -> QueuedUpdate:
        """Press the inline button ``label`` on the newest bot message that has one."""
        for msg in reversed(self.emu.sent(self.chat_id)):
            if not msg.deleted and msg.button(label) is not None:
                return await self.press_in(msg.message_id, label)
        available = [
            b for m in self.emu.sent(self.chat_id) if not m.deleted for r in m.buttons for b in r
        ]
        raise LookupError(
            f"no bot message in chat {self.chat_id} has an inline button "
            f"{label!r}; buttons seen: {available}"
        )

    async def press_in(self, message_id: int, label: str) -> QueuedUpdate:
        """Press button ``label`` of a specific (possibly old) bot message."""
        msg = self.emu.message(self.chat_id, message_id)
        if msg is None or msg.deleted:
            raise LookupError(f"bot message {message_id} not found in chat {self.chat_id}")
        button = msg.button(label)
        if button is None:
            raise LookupError(
                f"message {message_id} has no inline button {label!r}; it has {msg.buttons}"
            )
        if "callback_data" not in button:
            raise ValueError(f"button {label!r} is not a callback button: {button}")
        return await self.press_data(button["callback_data"], message_id=message_id)

    async def press_data(self, data: str, *, message_id: int | None = None) -> QueuedUpdate:
        """Queue a callback_query with arbitrary ``data`` (e.g. from a button edited away)."""
        return await self.emu.queue_callback(self.chat_id, self.user_id, data, message_id)

    async def block_bot(self) -> QueuedUpdate:
        """The user blocks the bot: further sends get 403, a my_chat_member update is queued."""
        self.emu.block(self.user_id)
        return await self.emu.queue_member_change(self.chat_id, self.user_id, "member", "kicked")

    async def unblock_bot(self) -> QueuedUpdate:
        self.emu.unblock(self.user_id)
        return await self.emu.queue_member_change(self.chat_id, self.user_id, "kicked", "member")


class EmulatedGroup(_Actor):
    def __init__(self, emu: BotApiEmulator, chat: dict):
        super().__init__(emu, chat["id"])
        self.data = chat

    async def send(
        self, from_user_id: int, text: str, *, reply_to: int | None = None, **extra: Any
    ) -> QueuedUpdate:
        self.emu.user(from_user_id)
        return await self.emu.queue_message(
            self.chat_id, from_user_id, text=text, reply_to=reply_to, **extra
        )

    async def press(
        self, from_user_id: int, label: str, message_id: int | None = None
    ) -> QueuedUpdate:
        user = self.emu.user(from_user_id)
        if message_id is None:
            for msg in reversed(self.emu.sent(self.chat_id)):
                if not msg.deleted and msg.button(label) is not None:
                    message_id = msg.message_id
                    break
            else:
                raise LookupError(f"no bot message in chat {self.chat_id} has button {label!r}")
        msg = self.emu.message(self.chat_id, message_id)
        button = msg.button(label) if msg else None
        if button is None or "callback_data" not in button:
            raise LookupError(f"message {message_id} has no callback button {label!r}")
        return await self.emu.queue_callback(
            self.chat_id, user.user_id, button["callback_data"], message_id
        )

    async def add_bot(self, by_user_id: int) -> QueuedUpdate:
        """Someone adds the bot: a my_chat_member update plus a new_chat_members message."""
        self.emu.user(by_user_id)
        await self.emu.queue_member_change(self.chat_id, by_user_id, "left", "member")
        return await self.emu.queue_message(
            self.chat_id, by_user_id, new_chat_members=[self.emu.bot_user]
        )


class EmulatedChannel(_Actor):
    def __init__(self, emu: BotApiEmulator, chat: dict):
        super().__init__(emu, chat["id"])
        self.data = chat

    async def post(self, text: str, **extra: Any) -> QueuedUpdate:
        return await self.emu.queue_message(self.chat_id, None, text=text, **extra)


# --------------------------------------------------------------------------- emulator


class BotApiEmulator:
    """Telegram Bot API emulator; use as ``async with BotApiEmulator() as emu:``."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "emu_coach_bot",
        bot_first_name: str = "Coach",
        strict_html: bool = True,
        strict_chats: bool = False,
        webhook_retry_delay: float = 0.2,
    ):
        self.token = token
        self.host = host
        self._requested_port = port
        self.port: int = 0
        try:
            bot_id = int(token.split(":", 1)[0])
        except ValueError:
            bot_id = 123456
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.strict_html = strict_html
        self.strict_chats = strict_chats  # sending to a chat never created -> "chat not found"
        self.webhook_retry_delay = webhook_retry_delay

        self.users: dict[int, dict] = {}
        self.chats: dict[int, dict] = {}
        self.files: dict[str, dict] = {}
        self._file_seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._changed: asyncio.Condition | None = None
        # Each getUpdates call takes the next number; one still waiting when a newer one
        # arrives is ended with Telegram's 409 (two pollers on one token).
        self._poll_number = 0
        self._webhook_task: asyncio.Task | None = None
        self._http: ClientSession | None = None
        self.reset()

    # ----------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Forget messages, updates, calls, configuration and faults (users/chats stay)."""
        self.updates: list[QueuedUpdate] = []
        self._pending: deque[QueuedUpdate] = deque()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._bot_messages: dict[int, list[BotMessage]] = {}
        self._bot_by_id: dict[tuple[int, int], BotMessage] = {}
        self._user_messages: dict[tuple[int, int], dict] = {}
        self._last_update_for_chat: dict[int, QueuedUpdate] = {}
        self._reply_cursor: dict[int, int] = {}
        self._open_callbacks: dict[str, dict] = {}
        self.call_log: list[ApiCall] = []
        self.unknown_methods: list[str] = []
        self.callback_answers: list[dict] = []
        self.chat_actions: list[dict] = []
        self.left_chats: list[int] = []
        self.commands_by_scope: dict[tuple[str, str], list[dict]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self.webhook_deliveries: list[dict] = []
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED
        self.blocked: set[int] = set()
        self.rate_limit: dict[str, Any] | None = None
        self._send_times: deque[tuple[float, int]] = deque()
        self._faults: list[_Fault] = []
        self.response_delay: float = 0.0
        self.method_delays: dict[str, float] = {}
        self.logged_out = False
        self.closed = False

    @property
    def base_url(self) -> str:
        """Pass as ``base_url`` to PTB (it appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def api_url(self) -> str:
        """Full URL prefix including the token, for raw HTTP clients."""
        return f"{self.base_url}{self.token}"

    async def start(self) -> BotApiEmulator:
        self._changed = asyncio.Condition()
        self._closing = False
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_emu/user", self._ctl_user)
        app.router.add_post("/_emu/send", self._ctl_send)
        app.router.add_post("/_emu/press", self._ctl_press)
        app.router.add_get("/_emu/sent", self._ctl_sent)
        app.router.add_get("/_emu/wait", self._ctl_wait)
        app.router.add_post("/_emu/config", self._ctl_config)
        app.router.add_get("/_emu/stats", self._ctl_stats)
        app.router.add_post("/_emu/reset", self._ctl_reset)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def stop(self) -> None:
        self._closing = True
        await self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every API call / update)."""
        assert self._changed is not None, "emulator not started"
        async with asyncio.timeout(timeout), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    # ----------------------------------------------------------------- actors

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> EmulatedUser:
        """Get or create a user and its private chat (chat id == user id)."""
        if user_id not in self.users:
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            self.users[user_id] = user
            chat = {k: v for k, v in user.items() if k in ("first_name", "last_name", "username")}
            self.chats[user_id] = {"id": user_id, "type": "private", **chat}
        return EmulatedUser(self, self.users[user_id])

    def group(
        self,
        chat_id: int = -100123,
        title: str = "Group",
        type: str = "group",
        username: str | None = None,
    ) -> EmulatedGroup:
        if type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        if chat_id not in self.chats:
            chat: dict[str, Any] = {"id": chat_id, "type": type, "title": title}
            if username:
                chat["username"] = username
            self.chats[chat_id] = chat
        return EmulatedGroup(self, self.chats[chat_id])

    def channel(
        self, chat_id: int = -1001234, title: str = "Channel", username: str | None = None
    ) -> EmulatedChannel:
        if chat_id not in self.chats:
            chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
            if username:
                chat["username"] = username
            self.chats[chat_id] = chat
        return EmulatedChannel(self, self.chats[chat_id])

    def new_file(self, kind: str, ext: str = "bin") -> dict:
        n = next(self._file_seq)
        info = {
            "file_id": f"EMU-{kind}-{n}-{secrets.token_hex(4)}",
            "file_unique_id": f"U{kind[:3]}{n}",
        }
        self.files[info["file_id"]] = {
            **info,
            "file_size": 1024,
            "file_path": f"{kind}s/file_{n}.{ext}",
        }
        return info

    # ----------------------------------------------------------------- fault injection

    def block(self, user_id: int) -> None:
        """The user blocked the bot: sends to that chat answer 403."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def set_rate_limit(
        self,
        max_calls: int = 30,
        window: float = 1.0,
        *,
        per_chat: bool = False,
        retry_after: int | None = None,
    ) -> None:
        """Answer 429 when more than ``max_calls`` send-type calls fall into the sliding
        ``window`` (seconds) - globally, or per chat if ``per_chat``."""
        self.rate_limit = {
            "max_calls": max_calls,
            "window": window,
            "per_chat": per_chat,
            "retry_after": retry_after,
        }
        self._send_times.clear()

    def clear_rate_limit(self) -> None:
        self.rate_limit = None

    def fail_next(
        self,
        method: str | None = "sendMessage",
        count: int = 1,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        drop: bool = False,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (None: any method) fail with
        ``status``/``description``, or with the connection dropped if ``drop``; only the
        calls for ``chat_id`` when it is given."""
        params = {"retry_after": retry_after} if retry_after is not None else None
        self._faults.append(
            _Fault(
                method.lower() if method else None,
                count,
                status,
                description,
                drop,
                params,
                chat_id=chat_id,
            )
        )

    def fail_for(
        self,
        method: str | None = "sendMessage",
        seconds: float = 10.0,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        drop: bool = False,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make every call of ``method`` (None: any) fail for the next ``seconds``, as
        ``fail_next`` does: a 429 storm, a 500 outage, connections reset."""
        params = {"retry_after": retry_after} if retry_after is not None else None
        self._faults.append(
            _Fault(
                method.lower() if method else None,
                1 << 62,
                status,
                description,
                drop,
                params,
                until=time.monotonic() + seconds,
                chat_id=chat_id,
            )
        )

    def hang(self, method: str, seconds: float) -> None:
        """Every call of ``method`` waits ``seconds`` before it is answered (0: no more);
        a hung getUpdates or sendMessage."""
        if seconds > 0:
            self.method_delays[method.lower()] = seconds
        else:
            self.method_delays.pop(method.lower(), None)

    # ----------------------------------------------------------------- inspection

    def sent(self, chat_id: int) -> list[BotMessage]:
        """All bot messages to ``chat_id`` in order (including deleted ones, flagged)."""
        return list(self._bot_messages.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        return self._bot_by_id.get((chat_id, message_id))

    def calls(self, method: str | None = None) -> list[dict]:
        """Params of received calls (of ``method``, case-insensitive), oldest first."""
        if method is None:
            return [c.params for c in self.call_log]
        m = method.lower()
        return [c.params for c in self.call_log if c.method.lower() == m]

    @property
    def commands(self) -> list[dict]:
        """Commands from setMyCommands for the default scope and no language."""
        return self.commands_by_scope.get(('{"type": "default"}', ""), [])

    @property
    def pending_updates(self) -> list[QueuedUpdate]:
        return list(self._pending)

    async def wait_for_reply(
        self, chat_id: int, timeout: float = 5.0, count: int = 1
    ) -> list[BotMessage]:
        """Wait for ``count`` new bot messages to ``chat_id`` since the last send/wait."""
        start = self._reply_cursor.get(chat_id, 0)

        def ready() -> bool:
            return len(self._bot_messages.get(chat_id, [])) >= start + count

        try:
            await self.wait_for(ready, timeout)
        except TimeoutError:
            got = self._bot_messages.get(chat_id, [])[start:]
            raise TimeoutError(
                f"expected {count} new bot message(s) in chat {chat_id} within {timeout}s, "
                f"got {len(got)}: {[m.text for m in got]}"
            ) from None
        msgs = self._bot_messages[chat_id][start : start + count]
        self._reply_cursor[chat_id] = start + count
        return msgs

    def latencies(self) -> list[float]:
        """Reply latencies of all bot messages that follow an update of their chat."""
        return [
            m.latency for ms in self._bot_messages.values() for m in ms if m.latency is not None
        ]

    # ----------------------------------------------------------------- queuing updates

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    async def queue_update(self, kind: str, body: dict, chat_id: int | None = None) -> QueuedUpdate:
        """Queue an arbitrary update ``{"update_id": N, kind: body}``."""
        uid = next(self._update_ids)
        upd = QueuedUpdate(uid, kind, {"update_id": uid, kind: body}, chat_id, time.monotonic())
        self.updates.append(upd)
        self._pending.append(upd)
        if chat_id is not None:
            self._last_update_for_chat[chat_id] = upd
            self._reply_cursor[chat_id] = len(self._bot_messages.get(chat_id, []))
        await self._notify()
        return upd

    async def queue_message(
        self,
        chat_id: int,
        from_user_id: int | None,
        *,
        text: str | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
        **fields: Any,
    ) -> QueuedUpdate:
        chat = self.chats[chat_id]
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
        }
        if from_user_id is not None:
            msg["from"] = self.users[from_user_id]
        else:
            msg["sender_chat"] = chat
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                cmd = text.split(maxsplit=1)[0] if text.strip() else text
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(cmd)}]
        if caption is not None:
            msg["caption"] = caption
        if reply_to is not None:
            target = self._bot_by_id.get((chat_id, reply_to))
            replied = target.payload if target else self._user_messages.get((chat_id, reply_to))
            if replied is None:
                raise LookupError(f"message {reply_to} not found in chat {chat_id}")
            msg["reply_to_message"] = replied
        msg.update({k: v for k, v in fields.items() if v is not None})
        self._user_messages[(chat_id, msg["message_id"])] = msg
        kind = "channel_post" if chat["type"] == "channel" else "message"
        return await self.queue_update(kind, msg, chat_id)

    async def queue_edit(self, chat_id: int, message_id: int, text: str) -> QueuedUpdate:
        original = self._user_messages.get((chat_id, message_id))
        if original is None:
            raise LookupError(f"user message {message_id} not found in chat {chat_id}")
        edited = {**original, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        if text.startswith("/"):
            edited["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}
            ]
        self._user_messages[(chat_id, message_id)] = edited
        kind = (
            "edited_channel_post"
            if self.chats[chat_id]["type"] == "channel"
            else ("edited_message")
        )
        return await self.queue_update(kind, edited, chat_id)

    async def queue_callback(
        self, chat_id: int, user_id: int, data: str, message_id: int | None
    ) -> QueuedUpdate:
        qid = f"{next(self._callback_ids)}{secrets.randbelow(10**9):09d}"
        body: dict[str, Any] = {
            "id": qid,
            "from": self.users[user_id],
            "chat_instance": str(abs(hash((chat_id, self.bot_user["id"])))),
            "data": data,
        }
        if message_id is not None:
            msg = self.message(chat_id, message_id)
            if msg is None:
                raise LookupError(f"bot message {message_id} not found in chat {chat_id}")
            body["message"] = msg.payload
        self._open_callbacks[qid] = body
        return await self.queue_update("callback_query", body, chat_id)

    async def queue_member_change(
        self, chat_id: int, user_id: int, old: str, new: str
    ) -> QueuedUpdate:
        now = int(time.time())
        body = {
            "chat": self.chats[chat_id],
            "from": self.users[user_id],
            "date": now,
            "old_chat_member": {
                "status": old,
                "user": self.bot_user,
                **({"until_date": 0} if old == "kicked" else {}),
            },
            "new_chat_member": {
                "status": new,
                "user": self.bot_user,
                **({"until_date": 0} if new == "kicked" else {}),
            },
        }
        return await self.queue_update("my_chat_member", body, chat_id)

    # ----------------------------------------------------------------- webhook helpers

    async def post_raw_webhook(
        self,
        *,
        body: bytes | str | dict | None = None,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> tuple[int, str]:
        """POST anything to the configured webhook URL; returns ``(status, text)``."""
        target = url or self.webhook["url"]
        if not target:
            raise RuntimeError("no webhook set")
        if isinstance(body, dict):
            body = json.dumps(body)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        async with self._client().post(target, data=body or b"{}", headers=hdrs) as resp:
            return resp.status, await resp.text()

    def _client(self) -> ClientSession:
        if self._http is None or self._http.closed:
            self._http = ClientSession(timeout=ClientTimeout(total=30))
        return self._http

    async def _webhook_loop(self) -> None:
        while True:
            assert self._changed is not None
            async with self._changed:
                while not self._pending and not self._closing:
                    await self._changed.wait()
            if self._closing:
                return
            upd = self._pending[0]
            if upd.kind not in self._allowed_updates:
                self._confirm_first()
                continue
            headers = {"Content-Type": "application/json"}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            if upd.delivered_at is None:
                upd.delivered_at = time.monotonic()
            try:
                async with self._client().post(
                    self.webhook["url"], data=json.dumps(upd.payload), headers=headers
                ) as resp:
                    status = resp.status
                    await resp.read()
                error = (
                    None
                    if 200 <= status < 300
                    else f"Wrong response from the webhook: {status} {resp.reason}"
                )
            except Exception as exc:  # noqa: BLE001 - any delivery failure is recorded
                status, error = 0, f"Connection failed: {exc!r}"
            self.webhook_deliveries.append(
                {
                    "update_id": upd.update_id,
                    "status": status,
                    "error": error,
                    "at": time.monotonic(),
                }
            )
            if error is None:
                if self._pending and self._pending[0] is upd:
                    self._confirm_first()
            else:
                self.webhook["last_error_date"] = int(time.time())
                self.webhook["last_error_message"] = error
                await asyncio.sleep(self.webhook_retry_delay)
            await self._notify()

    def _confirm_first(self) -> None:
        upd = self._pending.popleft()
        upd.confirmed = True

    async def _set_webhook_task(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self.webhook["url"]:
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())

    # ----------------------------------------------------------------- HTTP plumbing

    async def _read_params(self, request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON object") from exc
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        params[key] = {
                            "filename": value.filename,
                            "size": len(data),
                            "content_type": value.content_type,
                            "content": data,  # the uploaded bytes, for tests to read back
                        }
                    else:
                        params[key] = value
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = ApiCall(method, {}, time.monotonic())
        self.call_log.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            if self.response_delay:
                await asyncio.sleep(self.response_delay)
            if self.method_delays.get(method.lower()):
                await asyncio.sleep(self.method_delays[method.lower()])
            self._apply_faults(method.lower(), call.params)
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found: method not found")
            result = await handler(call.params)
            body: dict[str, Any] = {"ok": True, "result": result}
            call.status = 200
        except ApiError as err:
            body = err.payload()
            call.status, call.description = err.code, err.description
        except _DropConnection:
            call.description = "connection dropped"
            if request.transport is not None:
                request.transport.abort()
            await self._notify()
            raise asyncio.CancelledError from None
        await self._notify()
        return web.json_response(body, status=call.status)

    def _apply_faults(self, method: str, params: dict) -> None:
        now = time.monotonic()
        self._faults = [
            f for f in self._faults if f.remaining > 0 and (f.until is None or now < f.until)
        ]
        for fault in self._faults:
            if fault.applies(method, params, now):
                fault.remaining -= 1
                if fault.drop:
                    raise _DropConnection
                raise ApiError(fault.status, fault.description, fault.parameters)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for info in self.files.values():
            if info.get("file_path") == path:
                return web.Response(
                    body=b"\0" * int(info.get("file_size", 1024)),
                    content_type="application/octet-stream",
                )
        return web.Response(status=404, text="Not Found")

    # ----------------------------------------------------------------- param helpers

    @staticmethod
    def _int(params: dict, name: str, default: Any = None, *, required: bool = False) -> Any:
        value = params.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty" if name != "chat_id" else "chat not found")
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    @staticmethod
    def _bool(params: dict, name: str, default: bool = False) -> bool:
        value = params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    @staticmethod
    def _json(params: dict, name: str, what: str = "JSON object") -> Any:
        value = params.get(name)
        if value is None or not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what}") from None

    def _chat(self, params: dict) -> dict:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == raw[1:].lower():
                    return chat
            raise bad_request("chat not found")
        chat_id = self._int(params, "chat_id")
        if chat_id not in self.chats:
            if self.strict_chats:
                raise bad_request("chat not found")
            if chat_id > 0:
                self.user(chat_id, f"User{chat_id}")
            else:
                self.group(
                    chat_id,
                    f"Chat {chat_id}",
                    "supergroup" if str(chat_id).startswith("-100") else "group",
                )
        return self.chats[chat_id]

    def _check_not_blocked(self, chat: dict) -> None:
        if chat["type"] == "private" and chat["id"] in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, chat_id: int) -> None:
        limit = self.rate_limit
        if not limit:
            return
        now = time.monotonic()
        window = float(limit["window"])
        while self._send_times and self._send_times[0][0] <= now - window:
            self._send_times.popleft()
        relevant = [t for t, c in self._send_times if not limit["per_chat"] or c == chat_id]
        if len(relevant) >= int(limit["max_calls"]):
            retry = limit.get("retry_after") or max(1, math.ceil(relevant[0] + window - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._send_times.append((now, chat_id))

    def _parse(self, text: str, parse_mode: str | None, entities: Any) -> tuple[str, list]:
        try:
            plain, ents = parse_text(text, parse_mode, strict_html=self.strict_html)
        except EntityParseError as exc:
            if str(exc).startswith("Unsupported parse_mode"):
                raise bad_request("unsupported parse_mode") from None
            raise bad_request(f"can't parse entities: {exc}") from None
        if entities and not parse_mode:
            ents = list(entities)
        return plain, ents

    def _check_markup(self, markup: Any) -> dict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for b in row:
                    self._check_button(b)
        elif not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_button(b: Any) -> None:
        if not isinstance(b, dict):
            raise bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        if not isinstance(b.get("text"), str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not b["text"].strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        actions = [a for a in BUTTON_ACTIONS if a in b]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed "
                "in the inline keyboard"
            )
        if "callback_data" in b:
            data = b["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in b:
            url = b["url"]
            ok = isinstance(url, str) and (
                (
                    url.lower().startswith(("http://", "https://"))
                    and len(url.split("://", 1)[1]) > 0
                    and "." in url.split("://", 1)[1].split("/", 1)[0]
                    or url.lower().startswith(("http://localhost", "http://127.0.0.1"))
                )
                or url.lower().startswith("tg://")
            )
            if not ok:
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _store_bot_message(
        self,
        chat: dict,
        method: str,
        params: dict,
        payload: dict,
        text: str | None,
        raw: str | None,
        parse_mode: str | None,
        entities: list,
        markup: dict | None,
    ) -> BotMessage:
        msg = BotMessage(
            chat_id=chat["id"],
            message_id=payload["message_id"],
            method=method,
            text=text,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            params=params,
            payload=payload,
            received_at=time.monotonic(),
            reply_to_update=self._last_update_for_chat.get(chat["id"]),
        )
        self._bot_messages.setdefault(chat["id"], []).append(msg)
        self._bot_by_id[(chat["id"], msg.message_id)] = msg
        return msg

    def _base_message(self, chat: dict, params: dict) -> dict:
        payload: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
        }
        if chat["type"] == "channel":
            payload["sender_chat"] = chat
        else:
            payload["from"] = self.bot_user
        reply_params = self._json(params, "reply_parameters")
        reply_id = (
            (reply_params or {}).get("message_id") if isinstance(reply_params, dict) else None
        )
        reply_id = reply_id or self._int(params, "reply_to_message_id")
        if reply_id:
            target = self._user_messages.get((chat["id"], int(reply_id)))
            bot_target = self._bot_by_id.get((chat["id"], int(reply_id)))
            replied = target or (bot_target.payload if bot_target else None)
            if replied is not None:
                payload["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
            elif not (
                isinstance(reply_params, dict) and reply_params.get("allow_sending_without_reply")
            ):
                raise bad_request("message to be replied not found")
        if params.get("message_thread_id"):
            payload["message_thread_id"] = self._int(params, "message_thread_id")
        return payload

    # ----------------------------------------------------------------- API methods

    async def _m_getme(self, params: dict) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logout(self, params: dict) -> bool:
        self.logged_out = True
        return True

    async def _m_close(self, params: dict) -> bool:
        self.closed = True
        return True

    async def _m_getupdates(self, params: dict) -> list[dict]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = self._int(params, "offset", 0)
        limit = max(1, min(100, self._int(params, "limit", 100)))
        timeout = max(0, self._int(params, "timeout", 0))
        allowed = self._json(params, "allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED
        if offset > 0:
            while self._pending and self._pending[0].update_id < offset:
                self._confirm_first()
        elif offset < 0:
            while len(self._pending) > -offset:
                self._confirm_first()
        assert self._changed is not None
        deadline = time.monotonic() + timeout
        self._poll_number += 1
        mine = self._poll_number
        async with self._changed:
            self._changed.notify_all()  # an older getUpdates still waiting is ended

        def collect() -> list[QueuedUpdate]:
            batch = []
            for upd in list(self._pending):
                if upd.kind not in self._allowed_updates:
                    if batch:
                        continue
                    # not wanted: Telegram drops it
                    self._pending.remove(upd)
                    upd.confirmed = True
                    continue
                batch.append(upd)
                if len(batch) >= limit:
                    break
            return batch

        batch = collect()
        while not batch and not self._closing and not self.webhook["url"]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining), self._changed:
                    await self._changed.wait()
            except TimeoutError:
                break
            if self._poll_number != mine:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = collect()
        now = time.monotonic()
        for upd in batch:
            if upd.delivered_at is None:
                upd.delivered_at = now
        return [u.payload for u in batch]

    async def _m_setwebhook(self, params: dict) -> bool:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and (
            not 1 <= len(secret) <= 256
            or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise bad_request("secret token contains unallowed characters")
        if url and not url.lower().startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if self._bool(params, "drop_pending_updates"):
            while self._pending:
                self._confirm_first()
        allowed = self._json(params, "allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": self._int(params, "max_connections", 40),
            "ip_address": params.get("ip_address"),
        }
        await self._set_webhook_task()
        await self._notify()
        return True

    async def _m_deletewebhook(self, params: dict) -> bool:
        if self._bool(params, "drop_pending_updates"):
            while self._pending:
                self._confirm_first()
        self.webhook = {"url": "", "secret_token": None}
        await self._set_webhook_task()
        await self._notify()
        return True

    async def _m_getwebhookinfo(self, params: dict) -> dict:
        info: dict[str, Any] = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if self._allowed_updates != DEFAULT_ALLOWED:
                info["allowed_updates"] = sorted(self._allowed_updates)
            for key in ("last_error_date", "last_error_message", "ip_address"):
                if self.webhook.get(key):
                    info[key] = self.webhook[key]
        return info

    @staticmethod
    def _scope_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), language_code or ""

    async def _m_setmycommands(self, params: dict) -> bool:
        commands = self._json(params, "commands", "commands JSON object")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" must be an Array')
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for cmd in commands:
            name = cmd.get("command", "") if isinstance(cmd, dict) else ""
            if (
                not 1 <= len(name) <= 32
                or not all(c.islower() or c.isdigit() or c == "_" for c in name)
                or not name.isascii()
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            desc = cmd.get("description", "")
            if not isinstance(desc, str) or not 1 <= len(desc) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(self._json(params, "scope"), params.get("language_code"))
        self.commands_by_scope[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(self, params: dict) -> list[dict]:
        key = self._scope_key(self._json(params, "scope"), params.get("language_code"))
        return self.commands_by_scope.get(key, [])

    async def _m_deletemycommands(self, params: dict) -> bool:
        key = self._scope_key(self._json(params, "scope"), params.get("language_code"))
        self.commands_by_scope.pop(key, None)
        return True

    async def _m_sendmessage(self, params: dict) -> dict:
        chat = self._chat(params)
        text = params.get("text")
        parse_mode = params.get("parse_mode") or None
        markup = self._check_markup(
            self._json(params, "reply_markup", "reply keyboard markup JSON object")
        )
        if text is None or text == "":
            raise bad_request("message text is empty")
        plain, entities = self._parse(str(text), parse_mode, self._json(params, "entities"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long")
        self._check_not_blocked(chat)
        self._check_rate(chat["id"])
        payload = self._base_message(chat, params)
        payload["text"] = plain
        if entities:
            payload["entities"] = entities
        lpo = self._json(params, "link_preview_options")
        if self._bool(params, "disable_web_page_preview"):
            lpo = {**(lpo or {}), "is_disabled": True}
        if lpo:
            payload["link_preview_options"] = lpo
        if markup and "inline_keyboard" in markup:
            payload["reply_markup"] = markup
        self._store_bot_message(
            chat, "sendMessage", params, payload, plain, str(text), parse_mode, entities, markup
        )
        return payload

    async def _send_media(
        self, params: dict, method: str, field_name: str, build: Callable[[Any], Any]
    ) -> dict:
        chat = self._chat(params)
        markup = self._check_markup(
            self._json(params, "reply_markup", "reply keyboard markup JSON object")
        )
        caption = params.get("caption")
        parse_mode = params.get("parse_mode") or None
        plain, entities = (None, [])
        if caption:
            plain, entities = self._parse(
                str(caption), parse_mode, self._json(params, "caption_entities")
            )
            if len(plain) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        if field_name and params.get(field_name) in (None, ""):
            raise bad_request(f"there is no {field_name} in the request")
        self._check_not_blocked(chat)
        self._check_rate(chat["id"])
        payload = self._base_message(chat, params)
        payload[field_name] = build(params.get(field_name))
        if plain:
            payload["caption"] = plain
            if entities:
                payload["caption_entities"] = entities
        if markup and "inline_keyboard" in markup:
            payload["reply_markup"] = markup
        self._store_bot_message(
            chat,
            method,
            params,
            payload,
            plain,
            str(caption) if caption else None,
            parse_mode,
            entities,
            markup,
        )
        return payload

    def _file_obj(self, value: Any, kind: str, **extra: Any) -> dict:
        if isinstance(value, str) and value in self.files:
            info = self.files[value]
            return {"file_id": info["file_id"], "file_unique_id": info["file_unique_id"], **extra}
        info = self.new_file(kind)
        return {**info, **extra}

    async def _m_sendphoto(self, params: dict) -> dict:
        return await self._send_media(
            params,
            "sendPhoto",
            "photo",
            lambda v: [self._file_obj(v, "photo", width=1280, height=960, file_size=120000)],
        )

    async def _m_senddocument(self, params: dict) -> dict:
        return await self._send_media(
            params,
            "sendDocument",
            "document",
            lambda v: self._file_obj(
                v,
                "document",
                file_name=(v or {}).get("filename", "file.bin")
                if isinstance(v, dict)
                else "file.bin",
            ),
        )

    async def _m_sendsticker(self, params: dict) -> dict:
        return await self._send_media(
            params,
            "sendSticker",
            "sticker",
            lambda v: self._file_obj(
                v,
                "sticker",
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
            ),
        )

    async def _m_sendvoice(self, params: dict) -> dict:
        return await self._send_media(
            params,
            "sendVoice",
            "voice",
            lambda v: self._file_obj(v, "voice", duration=self._int(params, "duration", 1)),
        )

    async def _m_getfile(self, params: dict) -> dict:
        info = self.files.get(params.get("file_id", ""))
        if info is None:
            raise bad_request("invalid file_id")
        return dict(info)

    def _editable(self, params: dict) -> BotMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = self._int(params, "message_id", required=True)
        msg = self._bot_by_id.get((chat["id"], message_id))
        if msg is None or msg.deleted:
            if (chat["id"], message_id) in self._user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return msg

    def _apply_edit(self, msg: BotMessage, method: str, params: dict, **changes: Any) -> dict:
        msg.edits.append(
            {
                "method": method,
                "params": params,
                "at": time.monotonic(),
                "before": {"text": msg.text, "reply_markup": msg.reply_markup},
            }
        )
        for key, value in changes.items():
            setattr(msg, key, value)
        payload = dict(msg.payload)
        payload["edit_date"] = int(time.time())
        if msg.method == "sendMessage":
            payload["text"] = msg.text
        elif msg.text is not None:
            payload["caption"] = msg.text
        payload.pop("entities" if msg.method == "sendMessage" else "caption_entities", None)
        if msg.entities:
            payload["entities" if msg.method == "sendMessage" else "caption_entities"] = (
                msg.entities
            )
        payload.pop("reply_markup", None)
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            payload["reply_markup"] = msg.reply_markup
        msg.payload = payload
        return payload

    async def _m_editmessagetext(self, params: dict) -> dict:
        msg = self._editable(params)
        if msg.method != "sendMessage":
            raise bad_request("there is no text in the message to edit")
        text = params.get("text")
        parse_mode = params.get("parse_mode") or None
        markup = self._check_markup(
            self._json(params, "reply_markup", "reply keyboard markup JSON object")
        )
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if text is None or text == "":
            raise bad_request("message text is empty")
        plain, entities = self._parse(str(text), parse_mode, self._json(params, "entities"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long")
        if plain == msg.text and entities == msg.entities and markup == _inline(msg.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._apply_edit(
            msg,
            "editMessageText",
            params,
            text=plain,
            raw_text=str(text),
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
        )

    async def _m_editmessagereplymarkup(self, params: dict) -> dict:
        msg = self._editable(params)
        markup = self._check_markup(
            self._json(params, "reply_markup", "reply keyboard markup JSON object")
        )
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if markup == _inline(msg.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._apply_edit(msg, "editMessageReplyMarkup", params, reply_markup=markup)

    async def _m_deletemessage(self, params: dict) -> bool:
        chat = self._chat(params)
        message_id = self._int(params, "message_id", required=True)
        msg = self._bot_by_id.get((chat["id"], message_id))
        if msg is not None and not msg.deleted:
            msg.deleted = True
            return True
        if self._user_messages.pop((chat["id"], message_id), None) is not None:
            return True
        raise bad_request("message to delete not found")

    async def _m_answercallbackquery(self, params: dict) -> bool:
        qid = str(params.get("callback_query_id") or "")
        query = self._open_callbacks.pop(qid, None)
        if query is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {
                "callback_query_id": qid,
                "text": text,
                "show_alert": self._bool(params, "show_alert"),
                "url": params.get("url"),
                "cache_time": self._int(params, "cache_time", 0),
                "data": query.get("data"),
                "at": time.monotonic(),
            }
        )
        return True

    async def _m_sendchataction(self, params: dict) -> bool:
        chat = self._chat(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_not_blocked(chat)
        self.chat_actions.append({"chat_id": chat["id"], "action": action, "at": time.monotonic()})
        return True

    async def _m_leavechat(self, params: dict) -> bool:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self.left_chats.append(chat["id"])
        return True

    async def _m_getchat(self, params: dict) -> dict:
        chat = self._chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # ----------------------------------------------------------------- control API

    @staticmethod
    async def _ctl_json(request: web.Request) -> dict:
        if not request.can_read_body:
            return {}
        return await request.json()

    async def _ctl_user(self, request: web.Request) -> web.Response:
        body = await self._ctl_json(request)
        user = self.user(
            int(body["user_id"]),
            body.get("first_name", "Test"),
            last_name=body.get("last_name"),
            username=body.get("username"),
        )
        return web.json_response(user.data)

    async def _ctl_send(self, request: web.Request) -> web.Response:
        body = await self._ctl_json(request)
        user = self.user(int(body["user_id"]))
        upd = await user.send(body["text"])
        return web.json_response({"update_id": upd.update_id, "message_id": upd.message_id})

    async def _ctl_press(self, request: web.Request) -> web.Response:
        body = await self._ctl_json(request)
        user = self.user(int(body["user_id"]))
        try:
            if body.get("message_id") is not None:
                upd = await user.press_in(int(body["message_id"]), body["label"])
            else:
                upd = await user.press(body["label"])
        except (LookupError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=404)
        return web.json_response({"update_id": upd.update_id})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        since = int(request.query.get("since", 0))
        return web.json_response([m.as_dict() for m in self.sent(chat_id)[since:]])

    async def _ctl_wait(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        count = int(request.query.get("count", 1))
        timeout = float(request.query.get("timeout", 5))
        if "since" in request.query:
            self._reply_cursor[chat_id] = int(request.query["since"])
        try:
            msgs = await self.wait_for_reply(chat_id, timeout=timeout, count=count)
        except TimeoutError as exc:
            return web.json_response({"error": str(exc)}, status=408)
        return web.json_response([m.as_dict() for m in msgs])

    async def _ctl_config(self, request: web.Request) -> web.Response:
        body = await self._ctl_json(request)
        for uid in body.get("blocked", []):
            self.block(int(uid))
        for uid in body.get("unblocked", []):
            self.unblock(int(uid))
        if "rate_limit" in body:
            rl = body["rate_limit"]
            if rl:
                self.set_rate_limit(
                    int(rl.get("max_calls", 30)),
                    float(rl.get("window", 1.0)),
                    per_chat=bool(rl.get("per_chat")),
                    retry_after=rl.get("retry_after"),
                )
            else:
                self.clear_rate_limit()
        if body.get("fail_next"):
            fn = body["fail_next"]
            self.fail_next(
                fn.get("method", "sendMessage"),
                int(fn.get("count", 1)),
                status=int(fn.get("status", 500)),
                description=fn.get("description", "Internal Server Error"),
                drop=bool(fn.get("drop")),
                retry_after=fn.get("retry_after"),
                chat_id=fn.get("chat_id"),
            )
        if body.get("fail_for"):
            ff = body["fail_for"]
            self.fail_for(
                ff.get("method", "sendMessage"),
                float(ff.get("seconds", 10)),
                status=int(ff.get("status", 500)),
                description=ff.get("description", "Internal Server Error"),
                drop=bool(ff.get("drop")),
                retry_after=ff.get("retry_after"),
                chat_id=ff.get("chat_id"),
            )
        if body.get("hang"):
            self.hang(body["hang"]["method"], float(body["hang"].get("seconds", 0)))
        if "response_delay" in body:
            self.response_delay = float(body["response_delay"])
        if "strict_html" in body:
            self.strict_html = bool(body["strict_html"])
        return web.json_response({"ok": True})

    def stats(self) -> dict:
        lat = sorted(self.latencies())

        def pct(p: float) -> float | None:
            if not lat:
                return None
            return lat[min(len(lat) - 1, max(0, math.ceil(p / 100 * len(lat)) - 1))]

        return {
            "updates_queued": len(self.updates),
            "updates_pending": len(self._pending),
            "bot_messages": sum(len(v) for v in self._bot_messages.values()),
            "calls": dict(Counter(c.method for c in self.call_log)),
            "errors": dict(
                Counter(f"{c.method}:{c.status}" for c in self.call_log if c.status != 200)
            ),
            "unknown_methods": sorted(set(self.unknown_methods)),
            "latency": {
                "count": len(lat),
                "p50": pct(50),
                "p95": pct(95),
                "p99": pct(99),
                "max": lat[-1] if lat else None,
                "mean": sum(lat) / len(lat) if lat else None,
            },
        }

    async def _ctl_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _ctl_reset(self, request: web.Request) -> web.Response:
        self.reset()
        await self._set_webhook_task()
        return web.json_response({"ok": True})


def _inline(markup: dict | None) -> dict | None:
    return markup if markup and "inline_keyboard" in markup else None
