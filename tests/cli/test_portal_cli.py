"""`coach clinician add|reset` and the portal's servers: the set-up link printed once, one
sentence for every mistake, and `coach run --with-portal` serving beside the real bot."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import socket
from pathlib import Path

import httpx
import pytest

from bot.cli.main import main
from bot.cli.portal import companions
from bot.config import ExitCode, Settings
from bot.flow.library import FlowLibrary
from bot.portal.auth import IP_FAILURES
from bot.portal.server import PortalServer
from bot.tg.runner import running_bot
from tests.portal.helpers import free_port, sign_in
from tests.tg.conftest import FAST_RETRIES, _settings, emu, tg_library  # noqa: F401
from tests.tg_emulator import BotApiEmulator


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def database_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_URL", "https://portal.practice.org/")
    return url


def test_clinician_add_prints_a_set_up_link_once(database_env: str) -> None:
    code, out, err = _run(["clinician", "add", "Dr.Lee@Practice.org", "--admin"])
    assert code == 0, err
    (link,) = re.findall(r"https://portal\.practice\.org/setup/[A-Za-z0-9_-]{40,}", out)
    assert "dr.lee@practice.org" in out and "72 hours" in out
    again, _, sentence = _run(["clinician", "add", "dr.lee@practice.org"])
    assert again == 1
    assert sentence.strip().count("\n") == 0 and "coach clinician reset" in sentence
    reset, new_out, _ = _run(["clinician", "reset", "dr.lee@practice.org"])
    assert reset == 0 and link not in new_out and "/setup/" in new_out


def test_mistakes_get_one_sentence(database_env: str) -> None:
    code, _, err = _run(["clinician", "add", "not-an-email"])
    assert code == ExitCode.SETTINGS and "does not look like an email" in err
    code, _, err = _run(["clinician", "reset", "nobody@practice.org"])
    assert code == 1 and "coach clinician add" in err and "Traceback" not in err


async def test_a_busy_port_is_one_sentence(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3",
                "portal_port": port,
            }
        )
        with pytest.raises(Exception, match="could not listen on 127.0.0.1") as raised:
            await PortalServer(busy).run()
    assert "PORTAL_PORT" in str(raised.value)


async def test_run_with_portal_serves_beside_the_bot(
    emu: BotApiEmulator,  # noqa: F811
    tg_library: FlowLibrary,  # noqa: F811
    tmp_path: Path,
) -> None:
    port = free_port()
    settings = _settings(
        emu.base_url, f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3", portal_port=port
    )

    class Args:
        with_portal = True

    beside = companions(Args(), settings)  # type: ignore[arg-type]
    assert [type(c) for c in beside] == [PortalServer]
    async with running_bot(settings, tg_library, retry_delays=FAST_RETRIES, companions=beside):
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/login")
        assert response.status_code == 200 and "Sign in" in response.text
        user = emu.user(9001)
        await user.send("/help")
        assert await user.wait_for_reply()
    await asyncio.sleep(0.1)
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/login")


@pytest.mark.parametrize(("trusted", "others_refused"), [("127.0.0.1", False), ("10.9.9.9", True)])
async def test_the_log_in_limit_counts_the_address_a_trusted_proxy_names(
    settings: Settings, tmp_path: Path, trusted: str, others_refused: bool
) -> None:
    """Behind a listed proxy each clinician's own address is counted; behind an unlisted
    one every request seems to come from the proxy (PORTAL_TRUSTED_PROXIES)."""
    port = free_port()
    served = settings.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3",
            "portal_port": port,
            "portal_trusted_proxies": trusted,
        }
    )
    server = PortalServer(served)
    await server.start()
    try:
        for _ in range(100):  # uvicorn binds in the background
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        guessing = {"X-Forwarded-For": "203.0.113.5"}
        async with httpx.AsyncClient(base_url=base, headers=guessing) as client:
            for n in range(IP_FAILURES):
                assert (
                    await sign_in(client, f"guess{n}@practice.org", "123456")
                ).status_code == 401
            assert (await sign_in(client, "guess@practice.org", "123456")).status_code == 429
        someone_else = {"X-Forwarded-For": "203.0.113.6"}
        async with httpx.AsyncClient(base_url=base, headers=someone_else) as client:
            answer = await sign_in(client, "dr.lee@practice.org", "123456")
        assert answer.status_code == (429 if others_refused else 401)
    finally:
        await server.stop()
