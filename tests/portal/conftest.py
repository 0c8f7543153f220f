"""The portal over a real server and a real database, beside the coach's own service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.coach.service import CoachService
from bot.config import Settings
from bot.portal.app import build_portal
from tests.portal.helpers import serving
from tests.tg.conftest import emu, tg_library  # noqa: F401 - the Bot API emulator, the flows


@pytest.fixture
def portal_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"telegram_bot_username": "practice_coach_bot"})


@pytest.fixture
async def portal_url(service: CoachService, portal_settings: Settings) -> AsyncIterator[str]:
    """The portal on the coach service's own database (SQLite, and PostgreSQL when set)."""
    app = build_portal(portal_settings, service.database, sweep_every=None)
    async with serving(app) as url:
        yield url


@pytest.fixture
async def client(portal_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=portal_url, follow_redirects=False) as http:
        yield http
