"""A crisis's safety event answered without the database waits on disk, and survives a restart.

The spool is read for real: files in a folder, sealed, claimed by renaming; and a SQLite
file locked by another connection for the whole of a crisis and of the process that
answered it, then a new process (a new service) that stores what the first one left.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.coach import service as service_module
from bot.coach.build import shared_secret
from bot.coach.safety_spool import STALE_CLAIM_SECONDS, SafetySpool
from bot.coach.service import CoachService
from bot.config import Settings
from bot.db.crypto import SharedSecret
from bot.db.migrate import upgrade_to_head
from bot.db.models import Patient, SafetyEventRow, as_utc
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound, SafetyEvent
from tests.coach.helpers import agree

SECRET = SharedSecret(b"123456:the-bot-token")
EVENT = SafetyEvent("suicide", "suicide.kill_myself")


def test_a_spooled_event_is_sealed_owner_only_and_comes_back_whole(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    spool = SafetySpool(folder, SECRET)
    at = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    spool.add("telegram", "4242424242", EVENT, at)
    [file] = list(folder.iterdir())
    assert b"4242424242" not in file.read_bytes() and b"suicide" not in file.read_bytes()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert spool.waiting() == 1
    [claim] = list(spool.claims("me"))
    assert (claim.spooled.chat_key, claim.spooled.event, claim.spooled.at) == (
        spool.chat_keys("telegram", "4242424242")[0],
        EVENT,
        at,
    )
    claim.done()
    assert spool.waiting() == 0 and list(folder.iterdir()) == []


def test_each_event_goes_to_one_claimer_and_a_failed_store_gives_it_back(
    tmp_path: Path,
) -> None:
    first, second = SafetySpool(tmp_path, SECRET), SafetySpool(tmp_path, SECRET)
    first.add("test", "1", EVENT)
    first.add("test", "2", EVENT)
    mine = list(first.claims("a"))
    assert len(mine) == 2 and list(second.claims("b")) == []
    mine[0].give_back()
    [again] = list(second.claims("b"))
    assert again.spooled.chat_key == mine[0].spooled.chat_key


def test_a_claim_a_killed_process_left_is_given_back_after_a_while(tmp_path: Path) -> None:
    spool = SafetySpool(tmp_path, SECRET)
    spool.add("test", "1", EVENT)
    [left] = list(spool.claims("killed"))  # never done nor given back
    assert list(spool.claims("alive")) == []
    [claimed] = list(tmp_path.glob("*.claimed"))
    old = time.time() - STALE_CLAIM_SECONDS - 1
    os.utime(claimed, (old, old))
    [taken] = list(spool.claims("alive"))
    assert taken.spooled.chat_key == left.spooled.chat_key


def test_an_event_sealed_under_another_token_is_set_aside_not_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    SafetySpool(tmp_path, SharedSecret(b"the old token")).add("test", "1", EVENT)
    spool = SafetySpool(tmp_path, SECRET)
    assert list(spool.claims("me")) == []
    assert [p.suffix for p in tmp_path.iterdir()] == [".unreadable"]
    assert "cannot be opened" in caplog.text and spool.waiting() == 0


def test_an_event_sealed_under_the_old_secret_is_still_read_after_a_change(
    tmp_path: Path,
) -> None:
    """COACH_SECRET set (or changed) while an event waits: the old secret still opens it."""
    SafetySpool(tmp_path, SharedSecret(b"the old token")).add("test", "1", EVENT)
    spool = SafetySpool(tmp_path, SharedSecret(b"a new secret", old=(b"the old token",)))
    (claim,) = spool.claims("me")
    assert claim.spooled.chat_key in spool.chat_keys("test", "1")
    assert claim.spooled.event == EVENT


def test_even_an_unsealed_event_names_its_chat_by_a_keyed_hash_only(tmp_path: Path) -> None:
    """Opened, a spooled file still holds no chat id (the chat may never have agreed)."""
    spool = SafetySpool(tmp_path, None)  # the terminal: files in the clear
    spool.add("telegram", "4242424242", EVENT)
    [file] = list(tmp_path.iterdir())
    assert b"suicide" in file.read_bytes()  # in the clear, so this reads all there is
    assert b"4242424242" not in file.read_bytes()


def test_an_event_an_older_version_spooled_with_the_chat_id_is_still_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "old.event").write_text(
        '{"chat":"7","category":"suicide","rule":"suicide.kill_myself",'
        '"at":"2026-12-03T06:00:00+00:00"}'
    )
    (claim,) = SafetySpool(tmp_path, None).claims("me")
    assert (claim.spooled.external_id, claim.spooled.event) == ("7", EVENT)


@pytest.fixture
async def locked_sqlite(tmp_path: Path) -> AsyncIterator[tuple[str, sqlite3.Connection]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/coach.sqlite3"
    database = Database(url)
    await upgrade_to_head(database)
    await database.dispose()
    yield url, sqlite3.connect(tmp_path / "data" / "coach.sqlite3", isolation_level=None)


@pytest.mark.sqlite_only
async def test_a_crisis_answered_without_the_database_is_stored_by_the_next_process(
    tmp_path: Path,
    engine: Engine,
    locked_sqlite: tuple[str, sqlite3.Connection],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service_module, "SAFETY_EVENT_RETRIES", ())  # one try, then the spool
    monkeypatch.setattr(service_module, "EVENT_DEADLINE", 1.0)
    url, locker = locked_sqlite
    folder = tmp_path / "spool"
    database = Database(url)
    first = CoachService(engine, database, "test", spool=SafetySpool(folder, SECRET))
    await agree(first, "patient")
    locker.execute("BEGIN EXCLUSIVE")  # another process's write lock, for the whole outage
    answered = datetime.now(UTC)
    reply = await first.handle("patient", Inbound.message("I want to kill myself"))
    replied = datetime.now(UTC)
    assert "988" in "\n".join(m.text for m in reply.messages) and not reply.stored
    stranger = await first.handle("stranger", Inbound.message("I want to kill myself"))
    assert "988" in "\n".join(m.text for m in stranger.messages)  # a chat that never agreed
    await asyncio.sleep(1.5)  # their one try in the background fails on the lock
    await first.close()  # the process ends (or is killed) before the database is back
    await database.dispose()
    assert SafetySpool(folder, SECRET).waiting() == 2
    locker.execute("ROLLBACK")
    locker.close()

    database = Database(url)
    notices = []
    after = CoachService(engine, database, "test", spool=SafetySpool(folder, SECRET))
    after.notify_oncall = notices.append
    try:
        assert await after.drain_spool() == 2
        rows = await database.transaction(
            lambda c: c.execute(
                select(
                    SafetyEventRow.patient_id, SafetyEventRow.category, SafetyEventRow.created_at
                )
            ).all()
        )
        patients = await database.transaction(
            lambda c: c.execute(select(Patient.id, Patient.external_id)).all()
        )
    finally:
        await after.close()
        await database.dispose()
    [(patient_id, external_id)] = patients
    assert external_id == "patient"  # the stranger is not stored
    [(found, category, created)] = [r for r in rows if r.patient_id is not None]
    assert (found, category) == (patient_id, "suicide")  # found by the hash the file holds
    assert answered <= as_utc(created) <= replied  # when it happened, not when it was stored
    assert [r.category for r in rows if r.patient_id is None] == ["suicide"]  # no patient
    assert SafetySpool(folder, SECRET).waiting() == 0


def test_the_shared_secret_is_coach_secret_with_the_token_and_old_ones_still_opening() -> None:
    def secret(**values: str) -> SharedSecret | None:
        return shared_secret(Settings(_env_file=None, **values))  # type: ignore[arg-type]

    token = "123456:the-bot-token"
    assert secret(telegram_bot_token=token) == SharedSecret(token.encode())
    assert secret(telegram_bot_token=token, coach_secret="own", coach_secret_old="a, b") == (
        SharedSecret(b"own", old=(b"a", b"b", token.encode()))
    )
    assert secret(coach_secret=" ", telegram_bot_token=token) == SharedSecret(token.encode())
    assert secret() is None
