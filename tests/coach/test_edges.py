"""Small edge cases at the service: /sos behind invisible characters, a forged delete
button, numbers as people do not write them, and a database readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.coach.service import CoachService
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.models import Patient
from bot.db.session import Database
from bot.flow.answers import NotAnAnswer, parse_number
from bot.shared.messages import Inbound
from tests.coach.helpers import agree
from tests.db.test_storage import count


@pytest.mark.parametrize(
    "typed", ["\u200b/sos", "/\u200bsos", "/sos\x00", "\x07/sos", "\u2066/sos\u2069"]
)
async def test_sos_behind_invisible_or_control_characters_gets_the_help_lines(
    service: CoachService, typed: str
) -> None:
    reply = await service.handle("c1", Inbound.message(typed))
    said = "\n".join(m.text for m in reply.messages)
    assert "988" in said
    assert service.engine.library.content.get("system.unknown_command") not in said


async def test_a_forged_delete_button_asks_first_and_deletes_nothing(
    service: CoachService,
) -> None:
    await agree(service, "c2")
    forged = await service.handle("c2", Inbound.press("sys:delete_everything"))
    assert await count(service, Patient) == 1
    confirm = service.engine.library.content.get("system.delete_confirm")
    assert [m.text for m in forged.messages] == [confirm]
    button, _keep = [b for m in forged.messages for row in m.buttons for b in row]
    done = await service.handle("c2", Inbound.press(button.token or ""))  # now it was asked
    assert "deleted" in done.messages[0].text and await count(service, Patient) == 0


async def test_a_delete_confirmation_answers_only_the_chat_it_was_shown_to(
    service: CoachService,
) -> None:
    await agree(service, "c3")
    await service.handle("c4", Inbound.message("/delete"))
    await service.handle("c3", Inbound.press("sys:delete_everything"))
    found = await service.database.transaction(
        lambda c: store.find_patient(c, channel="test", external_id="c3")
    )
    assert found is not None


@pytest.mark.parametrize("typed", ["1,5", "1_0", "1e1", "nan", "\uff15", "5,"])
def test_numbers_not_written_as_plain_digits_are_asked_again(typed: str) -> None:
    with pytest.raises(NotAnAnswer):
        parse_number(typed, 0, 10, whole=False)


@pytest.mark.parametrize(("typed", "value"), [("7", 7), ("7.5", 7.5), (".5", 0.5), ("8/10", 8)])
def test_plain_numbers_are_still_read(typed: str, value: float) -> None:
    assert parse_number(typed, 0, 10, whole=False) == value


@pytest.mark.sqlite_only
async def test_the_data_folder_and_database_files_are_the_owners_only(
    tmp_path: Path, engine: object
) -> None:
    folder = tmp_path / "data"
    database = Database(f"sqlite+aiosqlite:///{folder}/coach.sqlite3")
    try:
        await upgrade_to_head(database)
        files = [p for p in folder.iterdir() if p.name.startswith("coach.sqlite3")]
        assert {p.name for p in files} >= {"coach.sqlite3", "coach.sqlite3-wal"}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    finally:
        await database.dispose()
