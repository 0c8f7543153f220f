"""docs/deployment.md, followed word for word.

The single-process set-up: the `.env` block and the systemd unit's ExecStart (in its
WorkingDirectory) start the bot, a patient goes through /start and consent, the backup block
runs while the bot runs, the bot is stopped, the restore block puts the backup back, and the
bot starts again with the patient still known. The Bot API emulator stands in for Telegram
(the one line added to `.env`), and the install folder is a temporary one in place of
`/opt/coach` (its `.venv` is this checkout's). Then a PostgreSQL database is dumped and
restored as the document says.
"""

from __future__ import annotations

import asyncio
import configparser
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from tests.databases import create_postgres_database, drop_postgres_database, postgres_server
from tests.tg.conftest import say, tap
from tests.tg_emulator import BotApiEmulator, EmulatedUser

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deployment.md"
TOKEN = "123456789:AAE-deployment-test-token"


def _block(name: str) -> str:
    """The fenced block right after ``<!-- deployment-test: name -->``."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- deployment-test: {name} -->\s*```[a-z]*\n(.*?)```", text, flags=re.DOTALL
    )
    assert found, f"docs/deployment.md has no block marked deployment-test: {name}"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _install(folder: Path, emu: BotApiEmulator) -> tuple[list[str], Path, int]:
    """The install folder as the guide leaves it; the unit's command and folder, and the
    metrics port."""
    shutil.copytree(ROOT / "flows", folder / "flows")
    shutil.copytree(ROOT / "content", folder / "content")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    port = _free_port()
    env = _block("env")
    env = re.sub(r"(?m)^TELEGRAM_BOT_TOKEN=.*$", f"TELEGRAM_BOT_TOKEN={TOKEN}", env)
    env = re.sub(r"(?m)^METRICS_PORT=.*$", f"METRICS_PORT={port}", env)
    env += f"TELEGRAM_API_BASE_URL={emu.base_url}\n"  # the emulator stands in for Telegram
    (folder / ".env").write_text(env, encoding="utf-8")
    (folder / ".env").chmod(0o600)
    unit = configparser.ConfigParser(interpolation=None)
    unit.read_string(_block("unit"))
    service = unit["Service"]
    command = shlex.split(service["ExecStart"].replace("/opt/coach", str(folder)))
    workdir = Path(service["WorkingDirectory"].replace("/opt/coach", str(folder)))
    return command, workdir, port


async def _healthy(port: int) -> None:
    for _ in range(400):
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/healthz") as response,
            ):
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the bot never became healthy")


async def _start(command: list[str], workdir: Path) -> asyncio.subprocess.Process:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir)}  # systemd's bare environment
    return await asyncio.create_subprocess_exec(
        *command, cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process) -> str:
    """``systemctl stop``: SIGTERM, then wait."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    output = out.decode(errors="replace")
    assert process.returncode == 0, output[-2000:]
    assert "Traceback" not in output and TOKEN.split(":")[1] not in output
    return output


def _bash(block: str, workdir: Path) -> None:
    subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=workdir, check=True)


def _patients(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM patients").fetchone()[0])


async def _onboard(user: EmulatedUser) -> None:
    await say(user, "/start", count=2, timeout=20)
    await tap(user, "Okay, go on", count=2, timeout=20)
    await tap(user, "Yes", timeout=20)
    await say(user, "Lee", timeout=20)
    await tap(user, "Central", timeout=20)
    (welcome,) = await tap(user, "No", timeout=20)
    assert "/sos" in welcome.text


@pytest.mark.sqlite_only
async def test_the_single_process_set_up_backup_and_restore_as_written(tmp_path: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.fail("the guide's backup needs the sqlite3 tool: apt-get install sqlite3")
    folder = tmp_path / "opt-coach"
    folder.mkdir()
    async with BotApiEmulator(token=TOKEN) as emu:
        command, workdir, port = _install(folder, emu)
        bot = await _start(command, workdir)
        try:
            await _healthy(port)
            user = emu.user(5550101, "Lee")
            await _onboard(user)
            _bash(_block("backup"), workdir)  # while the bot runs
            await say(user, "/reframe", count=2, timeout=20)  # after the backup
        finally:
            output = await _stop(bot)
        assert "coach ready" in output
        backup = workdir / "backups" / "coach.sqlite3"
        assert _patients(backup) == 1

        (workdir / "data" / "coach.sqlite3").write_bytes(b"lost")  # the disk went bad
        _bash(_block("restore"), workdir)
        assert _patients(workdir / "data" / "coach.sqlite3") == 1

        bot = await _start(command, workdir)
        try:
            await _healthy(port)
            (menu,) = await say(user, "/menu", timeout=20)  # known: no onboarding again
            assert menu.text == "What would you like to do?"
        finally:
            await _stop(bot)


def _pg_tool(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    tool = shutil.which(name)
    if tool is None:
        pytest.fail(f"{name} not found: install PostgreSQL's client tools")
    return tool


@pytest.mark.postgres
async def test_a_pg_dump_restores_into_an_empty_database() -> None:
    base = postgres_server()
    if not base:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (bash .ci/run starts one)")
    source, target = await create_postgres_database(base), await create_postgres_database(base)
    database = Database(source)
    try:
        await upgrade_to_head(database)
        await database.transaction(
            lambda c: store.load_conversation(c, channel="telegram", external_id="7", create=True)
        )
    finally:
        await database.dispose()
    libpq = [
        make_url(u).set(drivername="postgresql").render_as_string(hide_password=False)
        for u in (source, target)
    ]
    dump = Path(subprocess.run(["mktemp"], capture_output=True, text=True).stdout.strip())
    try:
        subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", f"--file={dump}", libpq[0]], check=True
        )
        subprocess.run(
            [_pg_tool("pg_restore"), "--no-owner", f"--dbname={libpq[1]}", str(dump)], check=True
        )
        restored = Database(target)
        try:
            await upgrade_to_head(restored)  # as the bots do on start: nothing left to do
            found = await restored.transaction(
                lambda c: store.find_patient(c, channel="telegram", external_id="7")
            )
        finally:
            await restored.dispose()
        assert found is not None
    finally:
        dump.unlink(missing_ok=True)
        await drop_postgres_database(source)
        await drop_postgres_database(target)


def test_the_image_runs_unprivileged_and_holds_no_secret() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"(?m)^USER\s+(\S+)", dockerfile)
    assert users and users[-1] not in ("root", "0")
    for line in re.findall(r"(?m)^(?:ENV|ARG)\s.*$", dockerfile):
        assert not re.search(r"TOKEN|SECRET|PASSWORD|KEY", line), line
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "data" in ignored  # secrets and patient data stay out


def test_compose_runs_postgres_the_bot_and_the_portal_with_secrets_from_env() -> None:
    import yaml

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "bot", "portal"}
    for name in ("bot", "portal"):
        service = services[name]
        assert service["env_file"] == ".env"
        assert "@postgres/" in service["environment"]["DATABASE_URL"]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["bot"]["command"] == ["run", "--webhook"]
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD", text)
    assert "TELEGRAM_BOT_TOKEN:" not in text and "DATA_ENCRYPTION_KEY:" not in text
