"""Is this process fit to serve? The checks behind ``/healthz``.

A process is healthy when its database answers within a couple of seconds, its flows are
loaded, and both crisis layers are in place (the phrase lists always; the learned layer
whenever the crisis file names one). A load balancer stops sending updates to a process
that is not, and a supervisor may restart it. The answer names each check and whether it
passed, never anything about a patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot import metrics
from bot.coach.screening import CrisisScreener
from bot.db import outbox
from bot.db.session import Database
from bot.flow.engine import Engine

#: Seconds the database has to answer ``SELECT 1`` before the process is unhealthy.
DATABASE_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Health:
    """Each check by name (``database``, ``flows``, ``crisis_phrases``, ``crisis_learned``)
    with ``ok`` or a few words on what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(result == "ok" for result in self.checks.values())


def _select_one(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


async def database_check(database: Database) -> str:
    try:
        await database.transaction(_select_one, timeout=DATABASE_CHECK_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"unreachable ({type(exc).__name__})"
    return "ok"


async def read_outbox_depth(database: Database, channel: str) -> None:
    """Set the outbox depth gauge from the database, at each scrape: every process's
    ``/metrics`` then reports the same, current figure (a count kept by one process's
    drain was as old as that drain, and only its own view). A database that does not
    answer leaves the last figure; ``coach_database_errors`` and /healthz say why."""
    try:
        depth = await database.transaction(
            lambda c: outbox.pending_count(c, channel=channel), timeout=DATABASE_CHECK_SECONDS
        )
    except Exception:  # noqa: BLE001 - a scrape never fails on the database
        return
    metrics.OUTBOX_DEPTH.set(depth)


def engine_checks(engine: Engine) -> dict[str, str]:
    """The flows and the crisis layers of the running engine."""
    library = engine.library
    checks = {"flows": "ok" if library.flows else "no flows loaded"}
    screener = engine.screener
    if not isinstance(screener, CrisisScreener):
        checks["crisis_phrases"] = checks["crisis_learned"] = "no crisis screening loaded"
        return checks
    screen = screener.screen_
    checks["crisis_phrases"] = "ok" if screen.config.categories else "no crisis categories"
    if screen.config.learned is not None and screen.learned is None:
        checks["crisis_learned"] = "the learned layer is named but not loaded"
    else:
        checks["crisis_learned"] = "ok"
    return checks


async def check_health(engine: Engine, database: Database) -> Health:
    checks = {"database": await database_check(database)}
    checks.update(engine_checks(engine))
    return Health(checks)
