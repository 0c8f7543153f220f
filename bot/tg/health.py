"""``/healthz`` and ``/metrics`` on a small HTTP listener beside the bot (``METRICS_PORT``).

The same listener serves both modes. In polling mode there is no other server; in webhook
mode it stays on its own port, so a load balancer and Prometheus reach it on the private
network while the reverse proxy exposes only the webhook path to Telegram.

``/healthz`` answers 200 with each check's result when the process can serve (database
reachable, flows and both crisis layers loaded) and 503 with the same list when it cannot.
``/metrics`` is ``bot.metrics`` in Prometheus' text format.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.coach.health import Health
from bot.config import ExitCode, StartupError

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[Health]]


class HealthServer:
    """Serves ``/healthz`` from ``check`` and ``/metrics`` from ``bot.metrics``."""

    def __init__(
        self,
        check: HealthCheck,
        listen: str,
        port: int,
        before_scrape: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``before_scrape``: brings gauges read from the database up to date."""
        self.check = check
        self.before_scrape = before_scrape
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        log.info("health and metrics listening port=%d", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        health = await self.check()
        if not health.ok:
            failing = ",".join(name for name, result in health.checks.items() if result != "ok")
            log.warning("unhealthy checks=%s", failing)
        return web.json_response(
            {"ok": health.ok, "checks": health.checks}, status=200 if health.ok else 503
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.before_scrape is not None:
            await self.before_scrape()
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def start_health_server(
    check: HealthCheck,
    listen: str,
    port: int | None,
    before_scrape: Callable[[], Awaitable[None]] | None = None,
) -> HealthServer | None:
    """The listener on ``listen:port`` (None when ``METRICS_PORT`` is unset); a port that
    cannot be listened on stops the start with one sentence."""
    if port is None:
        return None
    server = HealthServer(check, listen, port, before_scrape)
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        raise StartupError(
            f"/healthz and /metrics could not listen on {listen}:{port} ({type(exc).__name__}); "
            "set METRICS_PORT to a free port, or leave it unset.",
            ExitCode.SETTINGS,
        ) from None
    return server
