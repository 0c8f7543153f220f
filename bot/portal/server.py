"""Serving the portal: alone (``coach portal``) or inside the bot's process
(``coach run --with-portal``), on PORTAL_HOST:PORTAL_PORT, behind the practice's proxy.

uvicorn's access log is off: the portal logs its own events (ids and counts only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from bot.coach.encryption import prepare_encryption
from bot.config import ExitCode, Settings, StartupError
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database, describe
from bot.portal.app import build_portal
from bot.portal.scores import StoredScores, questionnaire_names

__all__ = ["PortalServer", "serve_portal"]

log = logging.getLogger(__name__)


class _InsideServer(uvicorn.Server):
    """Leaves the process's signals to its owner (the bot handles Ctrl-C and SIGTERM)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class PortalServer:
    """The portal on its own port, started and stopped by whoever runs the event loop."""

    def __init__(self, settings: Settings, *, inside: bool = False) -> None:
        self.settings = settings
        self.inside = inside
        self.database: Database | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def _build(self) -> uvicorn.Server:
        self.database = Database(self.settings.database_url)
        try:
            await upgrade_to_head(self.database)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            await self.database.dispose()
            raise StartupError(
                f"The database {describe(self.settings.database_url)} could not be opened "
                f"({type(exc).__name__}); check DATABASE_URL and that the server is running.",
                ExitCode.DATABASE,
            ) from None
        try:  # the portal reads and writes sealed columns (a patient's label, notes) too
            await prepare_encryption(self.settings, self.database)
        except BaseException:
            await self.database.dispose()
            raise
        scores = StoredScores(questionnaire_names(self.settings.flows_dir))
        app = build_portal(self.settings, self.database, scores=scores, freeze_heap=True)
        config = uvicorn.Config(
            app,
            host=self.settings.portal_host,
            port=self.settings.portal_port,
            access_log=False,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips=self.settings.portal_trusted_proxies,
            lifespan="on",
        )
        server_class = _InsideServer if self.inside else uvicorn.Server
        return server_class(config)

    async def run(self) -> None:
        """Serve until stopped (``coach portal``)."""
        server = await self._build()
        self._server = server
        log.info(
            "portal ready address=%s:%d database=%s",
            self.settings.portal_host,
            self.settings.portal_port,
            describe(self.settings.database_url),
        )
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            pass
        finally:
            await self._dispose()
        if not server.started:
            raise StartupError(
                f"The portal could not listen on {self.settings.portal_host}:"
                f"{self.settings.portal_port}; is another program using that port? Set "
                "PORTAL_PORT to a free one.",
                ExitCode.UNEXPECTED,
            )

    async def start(self) -> None:
        """Start serving in the background (inside the bot's process)."""
        self._server = await self._build()
        self._task = asyncio.create_task(self._server.serve())
        log.info("portal ready address=%s:%d", self.settings.portal_host, self.settings.portal_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, SystemExit):
                await self._task
        await self._dispose()

    async def _dispose(self) -> None:
        if self.database is not None:
            await self.database.dispose()
            self.database = None


def serve_portal(settings: Settings) -> int:
    asyncio.run(PortalServer(settings).run())
    return 0
