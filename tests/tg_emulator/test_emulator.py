"""The emulator, driven by python-telegram-bot's real ``Bot`` / ``Application`` over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import socket
import sys

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.tg_emulator import BotApiEmulator, EntityParseError, parse_html, parse_markdown_v2

TOKEN = "123:ABC"


@pytest.fixture(autouse=True)
def _timedelta_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on int-valued durations (retry_after, Voice.duration...) unless opted in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emu():
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator):
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}")] for label in labels]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- basics


async def test_base_url_and_get_me(emu: BotApiEmulator, bot: Bot) -> None:
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"
    assert bot.base_url == f"{emu.base_url}{TOKEN}"
    me = await bot.get_me()
    assert me.id == 123 and me.is_bot and me.username == emu.bot_user["username"]


async def test_wrong_token_is_invalid_token(emu: BotApiEmulator) -> None:
    other = Bot("999:WRONG", base_url=emu.base_url)
    with pytest.raises(InvalidToken, match="(?i)rejected by the server"):
        await other.initialize()
    await other.shutdown()


async def test_unknown_method_is_recorded(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert emu.unknown_methods == ["sendTelepathy"]
    assert emu.calls("sendTelepathy") == [{"chat_id": "1"}]


async def test_message_keyboard_press_answer_and_edit(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(1001, "Ann")
    sent = await bot.send_message(
        1001, "<b>How are you?</b> &lt;3", parse_mode="HTML", reply_markup=keyboard("Good", "Bad")
    )
    assert sent.text == "How are you? <3"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 12
    assert sent.from_user.id == 123 and sent.chat.id == 1001
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "cb:Bad"

    record = emu.sent(1001)[0]
    assert record.text == "How are you? <3" and record.raw_text.startswith("<b>")
    assert record.parse_mode == "HTML" and record.buttons == [["Good"], ["Bad"]]

    pressed = await user.press("Good")
    updates = await bot.get_updates(timeout=1)
    assert [u.update_id for u in updates] == [pressed.update_id]
    query = updates[0].callback_query
    assert query.data == "cb:Good" and query.from_user.id == 1001
    assert query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query.id, text="Noted")
    assert emu.callback_answers[0]["text"] == "Noted"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_reply_markup(
        1001, sent.message_id, reply_markup=keyboard("Thanks")
    )
    assert edited.reply_markup.inline_keyboard[0][0].text == "Thanks"
    assert emu.sent(1001)[0].buttons == [["Thanks"]]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=keyboard("Thanks"))
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)

    # editMessageText without reply_markup removes the keyboard, like real Telegram
    await bot.edit_message_text("Done", chat_id=1001, message_id=sent.message_id)
    assert emu.sent(1001)[0].text == "Done" and emu.sent(1001)[0].reply_markup is None
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("Done", chat_id=1001, message_id=sent.message_id)
    assert len(emu.sent(1001)[0].edits) == 2

    # stale button on an old message
    second = await bot.send_message(1001, "Next", reply_markup=keyboard("Good"))
    assert second.message_id > sent.message_id
    with pytest.raises(LookupError):
        await user.press_in(sent.message_id, "Good")
    old = await user.press_data("cb:Good", message_id=sent.message_id)
    (upd,) = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert upd.update_id == old.update_id
    assert upd.callback_query.message.text == "Done"

    assert await bot.delete_message(1001, second.message_id)
    assert emu.sent(1001)[1].deleted
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(1001, second.message_id)


async def test_send_message_options_and_chat_actions(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(7)
    msg = await bot.send_message(
        7,
        "see https://example.org",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Site", url="https://example.org")]]
        ),
    )
    assert msg.link_preview_options.is_disabled is True
    assert msg.reply_markup.inline_keyboard[0][0].url == "https://example.org"
    assert await bot.send_chat_action(7, "typing")
    assert emu.chat_actions[-1]["action"] == "typing"
    with pytest.raises(BadRequest, match="(?i)wrong parameter action"):
        await bot.send_chat_action(7, "dancing")
    chat = await bot.get_chat(7)
    assert chat.id == 7 and chat.type == "private"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "a < b", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<b>bold", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<b><i>x</b></i>", "parse_mode": "HTML"}, "Unmatched end tag"),
        ({"text": "<div>x</div>", "parse_mode": "HTML"}, 'Unsupported start tag "div"'),
        ({"text": "Tom & Jerry", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "Done.", "parse_mode": "MarkdownV2"}, "Character '.' is reserved"),
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "<b></b>" + "x" * 4096, "parse_mode": "HTML"}, None),
        ({"text": "<b>  </b>", "parse_mode": "HTML"}, "message text is empty"),
        (
            {
                "text": "pick",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("A", callback_data="x" * 65)]]
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {
                "text": "pick",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("A", callback_data="ü" * 33)]]
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {
                "text": "pick",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("A", url="javascript:alert(1)")]]
                ),
            },
            "is invalid",
        ),
        (
            {
                "text": "pick",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("A", url="tg://resolve?domain=x")]]
                ),
            },
            None,
        ),
    ],
)
async def test_realism_checks(bot: Bot, kwargs: dict, error: str | None) -> None:
    if error is None:
        assert (await bot.send_message(1, **kwargs)).message_id
    else:
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.send_message(1, **kwargs)


async def test_empty_text_is_rejected(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(1, "")


# --------------------------------------------------------------------------- faults


async def test_blocked_user_gets_forbidden(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(1001)
    emu.block(1001)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(1001, "hi")
    emu.unblock(1001)
    await bot.send_message(1001, "hi")

    await user.block_bot()
    with pytest.raises(Forbidden):
        await bot.send_chat_action(1001, "typing")
    (upd,) = await bot.get_updates()
    assert upd.my_chat_member.new_chat_member.status == "kicked"


async def test_rate_limit_answers_retry_after(emu: BotApiEmulator, bot: Bot) -> None:
    emu.set_rate_limit(max_calls=3, window=5.0)
    for i in range(3):
        await bot.send_message(1, f"m{i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(1, "too fast")
    assert info.value.retry_after == dtm.timedelta(seconds=5)
    assert emu.call_log[-1].status == 429

    emu.set_rate_limit(max_calls=1, window=10.0, retry_after=3)
    await bot.send_message(1, "ok")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(2, "nope")
    assert info.value.retry_after == dtm.timedelta(seconds=3)

    emu.set_rate_limit(max_calls=1, window=10.0, per_chat=True)
    await bot.send_message(1, "chat 1")
    await bot.send_message(2, "chat 2")
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "chat 1 again")
    emu.clear_rate_limit()
    await bot.send_message(1, "fine")


async def test_one_off_failures(emu: BotApiEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", count=2, status=500)
    for _ in range(2):
        with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
            await bot.send_message(1, "x")
    emu.fail_next("sendMessage", drop=True)
    with pytest.raises(NetworkError):
        await bot.send_message(1, "x")
    emu.fail_next(None, status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="(?i)Bad Gateway"):
        await bot.get_me()
    ok = await bot.send_message(1, "after the storm")
    assert [m.text for m in emu.sent(1)] == ["after the storm"]
    assert ok.message_id == 1
    assert [c.status for c in emu.call_log[-5:]] == [500, 500, 0, 502, 200]


# --------------------------------------------------------------------------- polling


async def test_get_updates_offsets_long_poll_and_allowed_updates(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user(5)
    first = await user.send("/start payload")
    second = await user.send("hello")
    updates = await bot.get_updates(limit=1)
    assert [u.update_id for u in updates] == [first.update_id]
    assert updates[0].message.text == "/start payload"
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    # not confirmed yet -> served again
    assert [u.update_id for u in await bot.get_updates()] == [first.update_id, second.update_id]
    assert [u.update_id for u in await bot.get_updates(offset=second.update_id)] == [
        second.update_id
    ]
    assert await bot.get_updates(offset=second.update_id + 1) == ()
    assert first.confirmed and second.confirmed

    async def later() -> None:
        await asyncio.sleep(0.2)
        await user.send("woke you up")

    task = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    started = loop.time()
    (woke,) = await bot.get_updates(timeout=5)
    assert woke.message.text == "woke you up" and loop.time() - started < 3
    await task
    assert emu.updates[-1].delivered_at is not None

    await user.send("dropped")
    press_target = await bot.send_message(5, "q", reply_markup=keyboard("Y"))
    assert press_target
    await user.press("Y")
    (cb,) = await bot.get_updates(offset=woke.update_id + 1, allowed_updates=["callback_query"])
    assert cb.callback_query is not None
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 1


async def test_real_application_polling(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_chat.send_action("typing")
        await update.message.reply_text("Welcome! Ready?", reply_markup=keyboard("Yes", "No"))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Got it")
        await query.edit_message_text(f"You chose {query.data}")
        await context.bot.send_message(
            update.effective_chat.id, "<i>Next step</i>", parse_mode="HTML"
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    user = emu.user(1001, "Pat")
    async with app:
        await app.bot.set_my_commands([BotCommand("start", "Begin")])
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=2)
        try:
            await user.send("/start")
            (welcome,) = await user.wait_for_reply(timeout=5)
            assert welcome.text == "Welcome! Ready?" and welcome.buttons == [["Yes"], ["No"]]
            assert welcome.latency is not None and 0 <= welcome.latency < 5
            assert welcome.reply_to_update is emu.updates[0]

            await user.press("Yes")
            (nxt,) = await user.wait_for_reply(timeout=5)
            assert nxt.text == "Next step" and nxt.entities[0]["type"] == "italic"
            assert emu.sent(1001)[0].text == "You chose cb:Yes"
            assert emu.sent(1001)[0].reply_markup is None
            assert emu.callback_answers[0]["text"] == "Got it"

            await user.send("hi there")
            (echo_msg,) = await user.wait_for_reply()
            assert echo_msg.text == "echo: hi there"
            assert emu.commands == [{"command": "start", "description": "Begin"}]
            assert [c["action"] for c in emu.chat_actions] == ["typing"]
        finally:
            await app.updater.stop()
            await app.stop()
    assert len(emu.latencies()) == 3
    assert emu.stats()["latency"]["count"] == 3


# --------------------------------------------------------------------------- webhook


async def test_webhook_delivery_with_secret(emu: BotApiEmulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if secret != "s3cret":
            return web.Response(status=403)
        received.append((secret, await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        user = emu.user(42)
        await user.send("queued before webhook")
        await bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token="s3cret", drop_pending_updates=True
        )
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        upd = await user.send("via webhook")
        await emu.wait_for(lambda: received)
        secret, payload = received[0]
        assert secret == "s3cret"
        parsed = Update.de_json(payload, bot)
        assert parsed.update_id == upd.update_id and parsed.message.text == "via webhook"
        assert (await bot.get_webhook_info()).url.endswith("/hook")

        status, _ = await emu.post_raw_webhook(
            body=payload, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        )
        assert status == 403

        with pytest.raises(BadRequest, match="(?i)secret token"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="bad secret!")
        assert await bot.delete_webhook()
        await user.send("back to polling")
        (polled,) = await bot.get_updates()
        assert polled.message.text == "back to polling"
    finally:
        await runner.cleanup()


async def test_webhook_failures_are_retried(emu: BotApiEmulator, bot: Bot) -> None:
    attempts: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        attempts.append(1)
        return web.Response(status=500 if len(attempts) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        emu.webhook_retry_delay = 0.05
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
        upd = await emu.user(3).send("retry me")
        await emu.wait_for(lambda: upd.confirmed)
        assert len(attempts) == 2
        assert "500" in (await bot.get_webhook_info()).last_error_message
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_real_application_webhook(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("hooked")

    port = free_port()
    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    user = emu.user(77)
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg",
            webhook_url=f"http://127.0.0.1:{port}/tg",
            secret_token="abc-123",
        )
        try:
            assert emu.webhook["secret_token"] == "abc-123"
            await user.send("/start")
            (reply,) = await user.wait_for_reply(timeout=5)
            assert reply.text == "hooked"
            status, _ = await emu.post_raw_webhook(body={"update_id": 999}, headers={})
            assert status == 403
        finally:
            await app.updater.stop()
            await app.stop()


# --------------------------------------------------------------------------- chats & media


async def test_groups_channels_and_edits(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.group(-100123, title="Circle", type="supergroup")
    emu.user(1, "Ann")
    await group.send(1, "/help@emu_coach_bot")
    await group.add_bot(by_user_id=2)
    channel = emu.channel(-1005, "News", username="newsch")
    await channel.post("announcement")
    user = emu.user(9)
    original = await user.send("tpyo")
    await user.edit(original.message_id, "typo")

    ups = await bot.get_updates()
    msg = ups[0].message
    assert msg.chat.type == "supergroup" and msg.chat.title == "Circle"
    assert msg.from_user.first_name == "Ann"
    assert ups[1].my_chat_member.new_chat_member.user.id == 123
    assert ups[2].message.new_chat_members[0].is_bot
    assert (
        ups[3].channel_post.text == "announcement" and ups[3].channel_post.sender_chat.id == -1005
    )
    assert ups[4].message.text == "tpyo"
    assert ups[5].edited_message.text == "typo"
    assert ups[5].edited_message.message_id == original.message_id
    assert ups[5].edited_message.edit_date is not None

    await bot.send_message(-100123, "hello group")
    (reply,) = await group.wait_for_reply()
    assert reply.text == "hello group"
    assert await bot.leave_chat(-100123)
    assert emu.left_chats == [-100123]
    assert (await bot.send_message("@newsch", "post")).chat.id == -1005


async def test_media_messages_deserialise(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(11)
    await user.send_sticker("😀")
    await user.send_photo(caption="my mood chart")
    await user.send_voice(duration=4)
    await user.send_document(file_name="diary.txt", mime_type="text/plain")
    await user.send_location(1.5, 2.5)
    await user.send_contact("+100", "Therapist")
    await user.send_video(caption="walk")
    msgs = [u.message for u in await bot.get_updates()]
    assert msgs[0].sticker.emoji == "😀" and msgs[0].text is None
    assert len(msgs[1].photo) == 3 and msgs[1].caption == "my mood chart"
    assert msgs[2].voice.duration == dtm.timedelta(seconds=4)
    assert msgs[3].document.file_name == "diary.txt"
    assert (msgs[4].location.latitude, msgs[4].location.longitude) == (1.5, 2.5)
    assert msgs[5].contact.first_name == "Therapist"
    assert msgs[6].video.width == 640 and msgs[6].caption == "walk"

    file = await bot.get_file(msgs[1].photo[-1].file_id)
    data = await file.download_as_bytearray()
    assert len(data) == msgs[1].photo[-1].file_size

    photo = await bot.send_photo(
        11, msgs[1].photo[-1].file_id, caption="<b>nice</b>", parse_mode="HTML"
    )
    assert photo.caption == "nice" and photo.photo
    assert emu.sent(11)[-1].method == "sendPhoto"


async def test_commands(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("sos", "Help now")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "sos"]
    await bot.set_my_commands([BotCommand("start", "Los")], language_code="de")
    assert [c.description for c in await bot.get_my_commands(language_code="de")] == ["Los"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert emu.commands == []
    assert await bot.log_out() and await bot.close()
    assert emu.logged_out and emu.closed


# --------------------------------------------------------------------------- control API


async def test_control_api(emu: BotApiEmulator, bot: Bot) -> None:
    base = f"http://127.0.0.1:{emu.port}/_emu"
    async with ClientSession() as http:
        async with http.post(f"{base}/send", json={"user_id": 8, "text": "/start"}) as r:
            assert (await r.json())["update_id"] == 1
        (upd,) = await bot.get_updates()
        await bot.send_message(8, "hi", reply_markup=keyboard("Go"))
        async with http.get(f"{base}/wait", params={"chat_id": "8", "timeout": "2"}) as r:
            (msg,) = await r.json()
        assert msg["text"] == "hi" and msg["latency"] >= 0
        async with http.post(f"{base}/press", json={"user_id": 8, "label": "Go"}) as r:
            assert r.status == 200
        async with http.post(f"{base}/config", json={"blocked": [8]}) as r:
            assert r.status == 200
        with pytest.raises(Forbidden):
            await bot.send_message(8, "x")
        async with http.get(f"{base}/stats") as r:
            stats = await r.json()
        assert stats["calls"]["sendMessage"] == 2 and stats["latency"]["count"] == 1
        async with http.get(f"{base}/sent", params={"chat_id": "8"}) as r:
            assert [m["text"] for m in await r.json()] == ["hi"]


async def test_standalone_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.tg_emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        base_url = line.split("base_url=")[1].split()[0]
        async with Bot(TOKEN, base_url=base_url) as remote:
            assert (await remote.get_me()).id == 123
    finally:
        proc.terminate()
        with contextlib.suppress(ProcessLookupError):
            await asyncio.wait_for(proc.wait(), 10)


# --------------------------------------------------------------------------- formatting


def test_formatting_parsers() -> None:
    text, entities = parse_html(
        '<a href="https://x.org">😀 link</a> <pre><code class="language-python">x = 1</code></pre>'
    )
    assert text == "😀 link x = 1"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 7, "url": "https://x.org"},
        {"type": "pre", "offset": 8, "length": 5, "language": "python"},
    ]
    assert parse_html("Tom & Jerry > you", strict=False)[0] == "Tom & Jerry > you"
    with pytest.raises(EntityParseError, match="(?i)tg-spoiler"):
        parse_html("<span>x</span>")
    text, entities = parse_markdown_v2(r"*bold* and \. [site](https://a.b)")
    assert text == "bold and . site"
    assert [e["type"] for e in entities] == ["bold", "text_link"]
    assert json.dumps(entities)
