"""Shared fixtures: the shipped flows, and real databases (a SQLite file, PostgreSQL).

`suite_database_url` is a test's own database: a SQLite file, or in the suite's PostgreSQL
run (``DATABASE_URL`` set, as `.ci/run`'s second run does) a fresh PostgreSQL database
(`tests/databases.py`). `database_url` gives each kind in turn to the storage and engine
tests: PostgreSQL when TEST_POSTGRES_URL or the suite's DATABASE_URL points at a server; on
CI it is required, elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.coach.build import build_engine
from bot.coach.service import CoachService
from bot.config import Settings
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary, load_library
from tests.databases import (
    SUITE_POSTGRES,
    create_postgres_database,
    drop_postgres_database,
    postgres_server,
    suite_database,
)

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


#: Set by `.ci/run` for its SQLite run: the PostgreSQL variants run in the run after it.
POSTGRES_RUN_FOLLOWS = "COACH_POSTGRES_RUN_FOLLOWS"
#: Fixtures that give a test a database; in the PostgreSQL run only their users run.
DATABASE_FIXTURES = frozenset({"suite_database_url", "database_url"})


def pytest_configure(config: pytest.Config) -> None:
    # A bot the tests start keeps safety events it could not store in a folder of the
    # run's own, never in the project's data/ (bot.coach.safety_spool).
    os.environ.setdefault("SAFETY_SPOOL_DIR", tempfile.mkdtemp(prefix="coach-spool-"))
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself (left out of the PostgreSQL run)"
    )
    config.addinivalue_line(
        "markers", "postgres: makes its databases its own way (kept in the PostgreSQL run)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL run keep only the tests that keep data, each on PostgreSQL: the
    rest ran, identically, in the SQLite run. Outside it, a test marked ``sqlite_only``
    skips its PostgreSQL variant (run when TEST_POSTGRES_URL is set)."""
    if SUITE_POSTGRES is None:
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if (
                item.get_closest_marker("sqlite_only")
                and params.get("database_url") == "postgresql"
            ):
                item.add_marker(pytest.mark.skip(reason="about SQLite alone"))
        return
    kept, left_out = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses_database = bool(fixtures & DATABASE_FIXTURES) or item.get_closest_marker("postgres")
        on_sqlite = params.get("database_url") == "sqlite" or item.get_closest_marker("sqlite_only")
        (kept if uses_database and not on_sqlite else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture
def suite_database_url(tmp_path: Path) -> Iterator[str]:
    """This test's own empty database: a SQLite file, or PostgreSQL in the PostgreSQL run."""
    with suite_database(tmp_path) as url:
        yield url


def _postgres_url() -> str | None:
    url = postgres_server()
    if url:
        return url
    if os.environ.get(POSTGRES_RUN_FOLLOWS):
        pytest.skip("on PostgreSQL in the PostgreSQL run that follows (.ci/run)")
    if os.environ.get("CI"):
        pytest.fail("CI must test PostgreSQL too: .ci/run sets DATABASE_URL for its second run")
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
        return
    base = _postgres_url()
    if not base:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    url = await create_postgres_database(base)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def service(database_url: str, engine: Engine) -> AsyncIterator[CoachService]:
    database = Database(database_url)
    await upgrade_to_head(database)
    yield CoachService(engine, database, "test")
    await database.dispose()
