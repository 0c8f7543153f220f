"""The service's retries: a conversation that keeps changing underneath is tried
CONFLICT_RETRIES times, then logged and answered kindly (help lines if it was a crisis)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.coach import service as service_module
from bot.coach.service import CONFLICT_RETRIES, CoachService
from bot.db import store
from bot.shared.messages import Inbound
from tests.coach.helpers import agree


def _conflicting(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """save_conversation raises ConcurrentUpdate ``times`` times, then works."""
    calls: list[int] = []
    real = store.save_conversation

    def save(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) <= times:
            raise store.ConcurrentUpdate
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "save_conversation", save)
    return calls


async def test_a_conflict_that_clears_on_the_last_retry_is_handled(
    service: CoachService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await agree(service, "c1")  # stored, so its conversation is saved (and conflicts)
    calls = _conflicting(monkeypatch, CONFLICT_RETRIES - 1)
    reply = await service.handle("c1", Inbound.message("/menu"))
    assert reply.stored and len(calls) == CONFLICT_RETRIES
    menu = service.engine.library.content.get("system.menu_title")
    assert any(menu[:20] in m.text for m in reply.messages)


async def test_a_persistent_conflict_is_logged_and_answered_kindly(
    service: CoachService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await agree(service, "c2")
    calls = _conflicting(monkeypatch, 10_000)
    caplog.set_level(logging.ERROR, logger=service_module.__name__)
    reply = await service.handle("c2", Inbound.message("/menu"))
    assert len(calls) == CONFLICT_RETRIES
    assert not reply.stored
    assert [m.text for m in reply.messages] == [service.engine.library.content.get("system.error")]
    assert any("kept changing" in r.getMessage() for r in caplog.records)


async def test_a_crisis_during_a_persistent_conflict_still_gets_the_help_lines(
    service: CoachService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await agree(service, "c3")
    _conflicting(monkeypatch, 10_000)
    reply = await service.handle("c3", Inbound.message("I want to kill myself"))
    assert not reply.stored
    assert "988" in " ".join(m.text for m in reply.messages)
