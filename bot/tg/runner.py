"""Build and run the Telegram bot: long polling by default, or a webhook.

``run_bot`` is what ``coach run`` calls. ``running_bot`` starts the same application
inside an existing event loop and stops it cleanly, so end-to-end tests and benchmarks
drive the real bot against the Bot API emulator.

Over 300 lines: the application's whole life (built, started, stopped, for polling, a
webhook and the tests) in one place, so the order of start-up and shutdown is visible.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeAlias
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.coach.build import build_coach
from bot.coach.health import check_health, read_outbox_depth
from bot.coach.reload import Reloader
from bot.config import ExitCode, Settings, StartupError
from bot.db.session import UPDATES_AT_ONCE, describe
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.safety.oncall import NoticeLimiter
from bot.tg.aiohttp_request import AiohttpRequest
from bot.tg.command_menu import bot_commands
from bot.tg.companion import Companion
from bot.tg.handlers import CHANNEL, TelegramChannel
from bot.tg.health import start_health_server
from bot.tg.oncall import OncallAlerts
from bot.tg.payloads import keep_payloads_out_of_logs
from bot.tg.polling import POLL_READ_MARGIN, POLL_TIMEOUT, PollingWatch, quiet_polling_abort
from bot.tg.processor import PerChatUpdateProcessor
from bot.tg.reminders import ReminderTask
from bot.tg.sender import RETRY_DELAYS, Sender, quiet_rate_limiter
from bot.tg.sighup import reload_on_sighup
from bot.tg.single_poller import hold_polling_lock, raise_if_conflicted, stop_on_conflict
from bot.tg.upkeep import schedule_upkeep
from bot.tg.webhook_options import ALLOWED_UPDATES, webhook_options

__all__ = ["build_application", "run_bot", "running_bot"]

log = logging.getLogger(__name__)

# Telegram's broadcast limit; the rate limiter queues sends above it.
TELEGRAM_MAX_RATE = 30
_CHANNEL_KEY = "coach_channel"
_REMINDERS_KEY = "coach_reminders"
_REQUESTS_KEY = "coach_requests"
_HEALTH_KEY = "coach_health"
_POLLING_LOCK_KEY = "coach_polling_lock"
_WATCH_KEY = "coach_polling_watch"
#: The PTB application as built here (its type parameters are PTB's defaults).
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


def run_bot(
    settings: Settings,
    library: FlowLibrary,
    webhook: bool = False,
    companions: Sequence[Companion] = (),
) -> int:
    """Run until interrupted (Ctrl-C or SIGTERM); returns the process exit status.
    ``companions`` start after the bot and stop before it (the portal, `--with-portal`)."""
    app = build_application(settings, library, companions=companions, single_poller=not webhook)
    logging.getLogger("telegram.ext").addFilter(_without_bootstrap_failure)
    watch: PollingWatch = app.bot_data[_WATCH_KEY]
    try:
        if not webhook:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False, timeout=POLL_TIMEOUT)
            raise_if_conflicted(app.bot_data)
            if watch.token_rejected:
                raise InvalidToken("rejected while polling")
        else:
            app.run_webhook(**webhook_options(settings), close_loop=False)
    except InvalidToken:
        # Its message holds the token: replaced by one sentence, its context dropped.
        raise StartupError(
            "Telegram rejected TELEGRAM_BOT_TOKEN; copy the token again from @BotFather "
            "(/mybots, API Token) into .env.",
            ExitCode.TOKEN_REJECTED,
        ) from None
    except NetworkError as exc:
        host = urlparse(settings.telegram_api_base_url).netloc
        raise StartupError(
            f"The Bot API at {host} could not be reached ({type(exc).__name__}); check the "
            "network connection and TELEGRAM_API_BASE_URL, then start again.",
            ExitCode.BOT_API_UNREACHABLE,
        ) from None
    finally:
        _close_requests(app)
    return 0


def _without_bootstrap_failure(record: logging.LogRecord) -> bool:
    """PTB logs a failed start with its traceback; ``run_bot`` says it in one sentence."""
    return not record.getMessage().startswith("Network Retry Loop (Bootstrap")


def _close_requests(app: App) -> None:
    """Close the Bot API sessions (PTB leaves them open when the bot never initialised),
    then the loop PTB ran on."""
    loop = asyncio.get_event_loop()
    for request in app.bot_data.get(_REQUESTS_KEY, ()):
        loop.run_until_complete(request.shutdown())
    loop.close()


def build_application(
    settings: Settings,
    library: FlowLibrary,
    *,
    max_rate: float = TELEGRAM_MAX_RATE,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    request: BaseRequest | None = None,
    single_poller: bool = False,
    companions: Sequence[Companion] = (),
) -> App:
    """The PTB application; the coach itself is built in ``post_init`` (it needs a loop).

    ``max_rate`` is the overall sends per second the rate limiter allows (0: no limit,
    for benchmarks against the emulator). ``request``: what carries the Bot API calls
    instead of aiohttp (a recording one, for in-process tests). ``single_poller``: this
    process polls, and refuses to while another does (``bot.tg.polling``).
    """
    # httpx logs every request URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    quiet_rate_limiter()  # each 429 is waited out by the delivery, for that chat only
    keep_payloads_out_of_logs()  # --verbose included

    async def post_init(app: App) -> None:
        coach = await build_coach(settings, CHANNEL, library)
        if single_poller:  # after the database is known good: its failures say so first
            try:
                app.bot_data[_POLLING_LOCK_KEY] = await hold_polling_lock(settings)
            except StartupError:
                await coach.close()
                raise
            app.add_error_handler(stop_on_conflict)
        sender = Sender(app.bot, retry_delays)
        oncall = None
        if settings.oncall_chat_id is not None:
            limiter = NoticeLimiter(settings.oncall_max_per_minute)
            oncall = OncallAlerts(
                sender,
                settings.oncall_chat_id,
                lambda: coach.engine.library.content,
                limiter,
                portal_link=f"{settings.portal_url.rstrip('/')}/alerts"
                if settings.portal_url
                else None,
            )
        reloader = Reloader(settings, coach)
        channel = TelegramChannel(
            coach, sender, oncall, admin_ids=settings.admin_ids, reloader=reloader
        )
        app.bot_data[_CHANNEL_KEY] = channel
        channel.delivery.start()  # replies a killed process left, and those waiting out a 429

        async def new_commands(engine: Engine) -> None:
            await app.bot.set_my_commands(bot_commands(engine.library))

        reloader.listeners.append(new_commands)
        reloader.listeners.append(lambda _engine: _freeze_startup_heap(again=True))
        reload_on_sighup(reloader.reload_and_log)
        app.add_handler(TypeHandler(Update, channel.on_update))
        app.add_error_handler(channel.on_error)
        await app.bot.set_my_commands(bot_commands(library))
        _freeze_startup_heap()
        schedule_upkeep(app, coach.service, settings.retention_months)
        # Reminders leave one send a second of the limit to patients' conversations.
        reminders = ReminderTask(channel, settings, max(max_rate - 1, 0))
        reminders.start()
        app.bot_data[_REMINDERS_KEY] = reminders
        app.bot_data[_HEALTH_KEY] = await start_health_server(
            lambda: check_health(coach.engine, coach.database),
            settings.metrics_listen,
            settings.metrics_port,
            before_scrape=lambda: read_outbox_depth(coach.database, CHANNEL),
        )
        log.info(
            "coach ready flows=%s database=%s",
            ",".join(sorted(library.flows)),
            describe(settings.database_url),
        )
        log.info("oncall notices=%s", "on" if oncall is not None else "off")
        for companion in companions:
            await companion.start()

    async def post_stop(app: App) -> None:
        reload_on_sighup(None)
        health = app.bot_data.pop(_HEALTH_KEY, None)
        if health is not None:
            await health.stop()
        for companion in companions:
            await companion.stop()
        reminders = app.bot_data.pop(_REMINDERS_KEY, None)
        if reminders is not None:
            await reminders.stop()
        channel = app.bot_data.get(_CHANNEL_KEY)
        if channel is not None:
            await channel.delivery.close()
            if channel.oncall is not None:
                await channel.oncall.close()

    async def post_shutdown(app: App) -> None:
        channel = app.bot_data.pop(_CHANNEL_KEY, None)
        if channel is not None:
            await channel.coach.close()
        polling_lock = app.bot_data.pop(_POLLING_LOCK_KEY, None)
        if polling_lock is not None:
            await polling_lock.release()

    watch = PollingWatch()  # a token revoked while polling stops the bot (exit status 4)
    quiet_polling_abort()
    polling = AiohttpRequest(connections=1, read_timeout=POLL_READ_MARGIN, inspect=watch.inspect)
    requests = (request or AiohttpRequest(), polling)
    app = (
        ApplicationBuilder()
        .token(settings.bot_token())
        .base_url(settings.telegram_api_base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=max_rate, max_retries=0))
        # Bounded by the database's connections (bot.db.session): an update beyond them
        # waits its turn in memory instead of timing out for a connection.
        .concurrent_updates(PerChatUpdateProcessor(at_once=UPDATES_AT_ONCE))
        # aiohttp rather than PTB's default httpx: about 40% less CPU per update
        # (benchmarks/telegram_e2e.py); getUpdates has its own single connection.
        .request(requests[0])
        .get_updates_request(requests[1])
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data[_REQUESTS_KEY] = requests
    app.bot_data[_WATCH_KEY] = watch
    watch.attach(app)
    return app


def _freeze_startup_heap(again: bool = False) -> None:
    """Keep what start-up built (flows, crisis matcher, PTB, SQLAlchemy) out of GC passes.

    Those objects live as long as the process; without this every full collection walks
    them all, which paused the bot for 55-90 ms each time (benchmarks/telegram_e2e.py).
    After a reload (``again``) the old engine is among the frozen objects: unfreeze so one
    full collection can free it, then freeze what is left.
    """
    if again:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def channel_of(app: App) -> TelegramChannel:
    """The running bot's channel (for tests)."""
    channel = app.bot_data[_CHANNEL_KEY]
    assert isinstance(channel, TelegramChannel)
    return channel


@asynccontextmanager
async def running_bot(
    settings: Settings,
    library: FlowLibrary,
    *,
    webhook: bool = False,
    max_rate: float = TELEGRAM_MAX_RATE,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    companions: Sequence[Companion] = (),
) -> AsyncIterator[App]:
    """``async with running_bot(settings, library) as app:`` the real bot, polling (or webhook).

    The same steps as ``run_polling``/``run_webhook``, without taking over the event loop.
    """
    app = build_application(
        settings,
        library,
        max_rate=max_rate,
        retry_delays=retry_delays,
        single_poller=not webhook,
        companions=companions,
    )
    await app.initialize()
    try:
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        if webhook:
            await app.updater.start_webhook(**webhook_options(settings))
        else:
            await app.updater.start_polling(
                poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
            )
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            await app.stop()
            assert app.post_stop is not None
            await app.post_stop(app)
    finally:
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
