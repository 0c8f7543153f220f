"""/healthz and /metrics beside the real bot: what they say, and what they never say.

A patient goes through onboarding and a conversation with a direct safety question over
the Bot API emulator; a scrape of /metrics then counts all of it, and no line of it holds
the patient's chat id, name or any word they wrote.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from telegram.ext import Application

from bot.coach.health import Health, check_health
from bot.config import Settings, StartupError
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from bot.tg.health import HealthServer, start_health_server
from bot.tg.runner import channel_of, running_bot
from tests.tg.conftest import FAST_RETRIES, say, settle, tap
from tests.tg_emulator import BotApiEmulator

NAME = "Marisol"
CHAT_ID = 7702319
SAID = [
    "A quarrel with my landlord about the heating",
    "honestly i can't do this anymore",
]
#: The only label names a sample may carry: each takes values from a small fixed set.
# Labels with fixed values only (never a chat, a name or a word).
ALLOWED_LABELS = {"kind", "layer", "category", "action", "answer", "outcome", "reason", "le"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


def _samples(body: str) -> list[str]:
    return [line for line in body.splitlines() if line and not line.startswith("#")]


def _value(body: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    total = 0.0
    for line in _samples(body):
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total


@pytest.fixture
def metrics_port() -> int:
    return _free_port()


@pytest.fixture
async def live(
    tg_settings: Settings, tg_library: FlowLibrary, metrics_port: int
) -> AsyncIterator[Application]:
    settings = tg_settings.model_copy(update={"metrics_port": metrics_port})
    async with running_bot(settings, tg_library, retry_delays=FAST_RETRIES) as application:
        yield application


async def test_a_scrape_after_a_conversation_counts_it_and_names_no_one(
    live: Application, emu: BotApiEmulator, metrics_port: int
) -> None:
    _, before = await _get(metrics_port, "/metrics")
    user = emu.user(CHAT_ID, NAME)
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")  # consent: from here on the coach keeps what the patient does
    await say(user, NAME)
    await tap(user, "Central")
    (welcome,) = await tap(user, "No")
    assert "/sos" in welcome.text
    await say(user, "/reframe", count=2)
    await say(user, SAID[0])
    (asked,) = await say(user, SAID[1])
    assert asked.buttons == [["Yes, I am"], ["No, I'm not"]]
    await tap(user, "No, I'm not", count=2)
    await settle(emu, 0.2)

    status, body = await _get(metrics_port, "/metrics")
    assert status == 200

    def grew(name: str, **labels: str) -> float:
        return _value(body, name, **labels) - _value(before, name, **labels)

    assert grew("coach_updates_total", kind="command") >= 2  # /start, /reframe
    assert grew("coach_updates_total", kind="button") >= 5
    assert grew("coach_updates_total", kind="message") >= 3
    assert grew("coach_step_seconds_count") >= 10
    assert grew("coach_crisis_decisions_total", action="ask") >= 1
    assert grew("coach_direct_questions_total") >= 1
    assert grew("coach_direct_answers_total", answer="no") >= 1
    assert "# TYPE coach_outbox_depth gauge" in body

    samples = "\n".join(_samples(body))
    assert str(CHAT_ID) not in samples
    assert NAME.lower() not in samples.lower()
    words = {w for text in SAID for w in re.findall(r"[a-z']{4,}", text.lower())}
    assert not [w for w in words if w in samples.lower()]
    for line in _samples(body):
        names = set(re.findall(r'(\w+)="', line.partition(" ")[0]))
        assert names <= ALLOWED_LABELS, line


async def test_healthz_is_200_with_every_check_while_the_bot_can_serve(
    live: Application, metrics_port: int
) -> None:
    status, body = await _get(metrics_port, "/healthz")
    assert status == 200, body
    for check in ("database", "flows", "crisis_phrases", "crisis_learned"):
        assert f'"{check}": "ok"' in body


async def test_healthz_is_503_when_the_database_is_gone(
    live: Application, metrics_port: int
) -> None:
    engine = channel_of(live).coach.engine
    closed = _free_port()
    gone = Database(f"postgresql+asyncpg://coach@127.0.0.1:{closed}/coach")
    server = await start_health_server(
        lambda: check_health(engine, gone), "127.0.0.1", _free_port()
    )
    assert isinstance(server, HealthServer)
    try:
        status, body = await _get(server.port, "/healthz")
    finally:
        await server.stop()
        await gone.dispose()
    assert status == 503
    assert '"database": "unreachable' in body and '"flows": "ok"' in body


async def test_healthz_is_503_when_the_learned_crisis_layer_is_missing(
    live: Application, metrics_port: int
) -> None:
    coach = channel_of(live).coach
    screener = coach.engine.screener
    without_model = replace(screener.screen_, learned=None)  # type: ignore[union-attr]
    coach.engine.screener = replace(screener, screen_=without_model)  # type: ignore[type-var]
    try:
        status, body = await _get(metrics_port, "/healthz")
    finally:
        coach.engine.screener = screener
    assert status == 503
    assert "learned layer is named but not loaded" in body


async def test_a_metrics_port_in_use_stops_the_start_with_one_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match="set METRICS_PORT to a free port"):
            await start_health_server(_never_called, "127.0.0.1", port)


async def _never_called() -> Health:
    raise AssertionError("no request reaches a listener that did not start")
