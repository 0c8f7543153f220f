"""Shared fixtures: the shipped flows, and real databases (a SQLite file, PostgreSQL).

PostgreSQL runs when TEST_POSTGRES_URL points at a server (`.ci/run` starts one); on CI it
is required, elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.coach.build import build_engine
from bot.coach.service import CoachService
from bot.config import Settings
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database, create_engine
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary, load_library

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
CONTENT = ROOT / "content"


@pytest.fixture(scope="session")
def library() -> FlowLibrary:
    return load_library(FLOWS, CONTENT, root=ROOT)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(flows_dir=FLOWS, content_dir=CONTENT, booking_url="https://example.org/book")


@pytest.fixture(scope="session")
def engine(library: FlowLibrary, settings: Settings) -> Engine:
    return build_engine(settings, library)


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must test PostgreSQL too: .ci/run sets TEST_POSTGRES_URL")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
        return
    base = _postgres_url()
    if not base:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    name = f"coach_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def service(database_url: str, engine: Engine) -> AsyncIterator[CoachService]:
    database = Database(database_url)
    await upgrade_to_head(database)
    yield CoachService(engine, database, "test")
    await database.dispose()
