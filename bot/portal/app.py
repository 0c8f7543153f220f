"""The portal as a Starlette app: its route table, its headers, and the quiet-patient sweep.

``build_portal`` takes the same settings and database as the bot. ``PUBLIC_ROUTES`` are the
only paths served without a session (log-in, set-up, the stylesheet); every other route is
wrapped by ``bot.portal.web.signed_in_page`` (a test walks the table to prove it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.coach.alerts import raise_quiet_alerts
from bot.config import Settings
from bot.db.models import utcnow
from bot.db.session import Database
from bot.portal.routes import audit, invitations, patients, queue, signin
from bot.portal.scores import NO_MEASURES, ScoreSource
from bot.portal.security import SecurityHeaders
from bot.portal.web import PortalState

__all__ = ["PUBLIC_ROUTES", "SWEEP_SECONDS", "build_portal", "sweep_quiet_patients"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: Seconds between looks for sharing patients with no check-in for PORTAL_NO_CHECKIN_DAYS.
SWEEP_SECONDS = 600.0
PUBLIC_ROUTES = frozenset({"/login", "/setup/{token}", "/setup/{token}/code", "/static", "/"})


def routes() -> list[BaseRoute]:
    return [
        Route("/", signin.home, methods=["GET"]),
        Route("/login", signin.login_form, methods=["GET"]),
        Route("/login", signin.login_submit, methods=["POST"]),
        Route("/logout", signin.logout, methods=["POST"]),
        Route("/setup/{token}", signin.setup_password, methods=["GET", "POST"]),
        Route("/setup/{token}/code", signin.setup_code, methods=["GET", "POST"]),
        Route("/patients", patients.patient_list, methods=["GET"]),
        Route("/patients/{share_id:int}", patients.patient_page, methods=["GET"]),
        Route("/patients/{share_id:int}/chart.pdf", patients.patient_chart, methods=["GET"]),
        Route("/alerts", queue.alert_queue, methods=["GET"]),
        Route("/alerts/{alert_id:int}/acknowledge", queue.acknowledge, methods=["POST"]),
        Route("/alerts/{alert_id:int}/close", queue.close, methods=["POST"]),
        Route("/invitations", invitations.invitations, methods=["GET", "POST"]),
        Route("/audit", audit.audit_page, methods=["GET"]),
        Route("/audit.csv", audit.audit_csv, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


async def sweep_quiet_patients(database: Database, days: int) -> int:
    """Raise ``no_checkin`` alerts now; how many were raised."""
    now = utcnow()
    raised = await database.transaction(lambda c: raise_quiet_alerts(c, now=now, days=days))
    if raised:
        log.info("no-check-in alerts raised count=%d", raised)
    return raised


def build_portal(
    settings: Settings,
    database: Database,
    *,
    scores: ScoreSource = NO_MEASURES,
    sweep_every: float | None = SWEEP_SECONDS,
    freeze_heap: bool = False,
) -> Starlette:
    """The portal app. ``sweep_every``: seconds between no-check-in sweeps (None: none);
    ``freeze_heap``: leave the process's start-up objects out of garbage collection from
    the start of serving on (the servers do; a test's process should not)."""
    state = PortalState(database=database, settings=settings, scores=scores)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if freeze_heap:
            # What the process holds when it starts serving (modules, templates, the
            # ORM's tables) lives as long as it does: frozen, the full collections a big
            # page's allocations set off no longer walk all of it (about a quarter of the
            # list's CPU time at 2,000 patients, benchmarks/portal.py). Not in tests:
            # there, what is alive at a start is one test's, and would never be freed.
            gc.collect()
            gc.freeze()
        task = None
        if sweep_every is not None:
            task = asyncio.create_task(_sweep_forever(database, settings, sweep_every))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(SecurityHeaders, https=state.secure_cookies)],
        lifespan=lifespan,
    )
    app.state.portal = state
    return app


async def _sweep_forever(database: Database, settings: Settings, every: float) -> None:
    while True:
        try:
            await sweep_quiet_patients(database, settings.portal_no_checkin_days)
        except Exception as exc:  # noqa: BLE001 - the portal keeps serving; logged, tried again
            log.warning("no-check-in sweep failed error=%s", type(exc).__name__)
        await asyncio.sleep(every)
