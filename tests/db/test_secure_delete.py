"""/delete leaves no copy of the patient's words in the SQLite file or its -wal.

SQLite overwrites deleted rows with zeros (``secure_delete``) and, after /delete, the WAL is
copied into the file and truncated, so no older version of a page survives in either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.coach.service import CoachService
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound
from tests.coach.helpers import button

NAME = "Zebulonia"
NOTE = "marmalade in the blue tin"


@pytest.fixture
async def sqlite_service(tmp_path: Path, engine: Engine) -> AsyncIterator[CoachService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3")
    await upgrade_to_head(database)
    service = CoachService(engine, database, "test")
    yield service
    await service.close()
    await database.dispose()


def _raw(tmp_path: Path) -> bytes:
    """The database file and its -wal, byte for byte, as they are on disk now."""
    files = (tmp_path / "coach.sqlite3", tmp_path / "coach.sqlite3-wal")
    return b"".join(p.read_bytes() for p in files if p.exists())


async def _onboard_and_write(
    service: CoachService, who: str, name: str = NAME, note: str = NOTE
) -> None:
    """Agree, give a name, then type a thought in the example flow (a journal entry)."""
    hello = await service.handle(who, Inbound.message("/start"))
    consent = await service.handle(who, Inbound.press(button(hello.messages, "Okay, go on")))
    await service.handle(who, Inbound.press(button(consent.messages, "Yes")))
    await service.handle(who, Inbound.message(name))
    await service.handle(who, Inbound.message("Chicago"))
    await service.handle(who, Inbound.message("no"))  # no daily check-in: onboarding ends
    opened = await service.handle(who, Inbound.message("/example"))
    await service.handle(who, Inbound.press(str(opened.messages[-1].buttons[0][0].token)))
    await service.handle(who, Inbound.message(note))
    believed = await service.handle(who, Inbound.message("60"))
    await service.handle(who, Inbound.press(button(believed.messages, "No")))
    await service.handle(who, Inbound.message("9pm"))
    await service.handle(who, Inbound.message("Chicago"))  # the entry is written


async def test_deleted_name_and_note_are_not_in_the_file_or_its_wal(
    sqlite_service: CoachService, tmp_path: Path
) -> None:
    await _onboard_and_write(sqlite_service, "z1")
    await _onboard_and_write(sqlite_service, "keeps", "Ophelia", "rhubarb by the shed")
    before = _raw(tmp_path)
    assert NAME.encode() in before and NOTE.encode() in before  # the test can see them

    confirm = await sqlite_service.handle("z1", Inbound.message("/delete"))
    done = await sqlite_service.handle(
        "z1", Inbound.press(button(confirm.messages, "Yes, delete everything"))
    )
    assert "deleted" in done.messages[0].text
    after = _raw(tmp_path)
    assert NAME.encode() not in after
    assert NOTE.encode() not in after
    assert b"Ophelia" in after and b"rhubarb by the shed" in after  # only z1's words went
    wal = tmp_path / "coach.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated


async def test_checkpoint_is_nothing_to_do_on_a_fresh_database(
    sqlite_service: CoachService,
) -> None:
    assert await sqlite_service.database.checkpoint() is True
