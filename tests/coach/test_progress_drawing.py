"""/progress draws in the drawing process; when drawing fails the patient is told kindly."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.coach.progress.drawer import DRAWER
from bot.coach.service import CoachService
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.models import JournalEntry
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.shared.messages import Inbound

WHO = "drawing-patient"


async def _patient_with_checkins(database_url: str, engine: Engine) -> CoachService:
    database = Database(database_url)
    await upgrade_to_head(database)
    service = CoachService(engine, database, "test", assume_consent=True)
    await service.handle(WHO, Inbound.message("/menu"))
    patient = await database.transaction(
        lambda c: store.find_patient(c, channel="test", external_id=WHO)
    )
    assert patient is not None
    now = datetime.now(UTC)
    rows = [
        {
            "patient_id": patient.id,
            "kind": "check_in",
            "flow_id": "checkin",
            "flow_version": 1,
            "data": {"mood": 5, "anxiety": 4, "craving": 3, "sleep": 6, "pain": 2},
            "created_at": now - timedelta(days=n, hours=1),
        }
        for n in range(5)
    ]
    await database.transaction(lambda c: c.execute(insert(JournalEntry), rows))
    return service


async def test_progress_files_come_from_another_process(database_url: str, engine: Engine) -> None:
    service = await _patient_with_checkins(database_url, engine)
    reply = await service.handle(WHO, Inbound.message("/progress"))
    files = [m.attachment for m in reply.messages if m.attachment is not None]
    assert [f.kind for f in files] == ["photo", "document"]
    assert files[0].data.startswith(b"\x89PNG") and files[1].data.startswith(b"%PDF")
    assert DRAWER._child is not None and DRAWER._child.pid != os.getpid()
    await service.database.dispose()


async def test_a_drawing_that_fails_is_one_kind_sentence_and_the_next_one_works(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = await _patient_with_checkins(database_url, engine)
    monkeypatch.setattr(DRAWER, "timeout", 0.001)  # the child is ended before it answers
    reply = await service.handle(WHO, Inbound.message("/progress"))
    assert all(m.attachment is None for m in reply.messages)
    assert len(reply.messages) == 2
    assert reply.messages[0].text.startswith("<b>Your last 4 weeks</b>")  # the words stay
    assert reply.messages[-1].text == engine.library.content.get("progress.files_failed")
    monkeypatch.setattr(DRAWER, "timeout", 60.0)
    again = await service.handle(WHO, Inbound.message("/progress"))
    assert sum(m.attachment is not None for m in again.messages) == 2
    await service.database.dispose()


def test_the_bot_never_imports_matplotlib() -> None:
    """The bot, the portal and the channel load without it; only the drawing process has it."""
    code = (
        "import sys, bot.cli, bot.coach.build, bot.coach.service, bot.portal.app, bot.tg.runner\n"
        "sys.exit('matplotlib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


async def test_the_questionnaires_menu_opens_progress_and_still_waits(
    database_url: str, engine: Engine
) -> None:
    """ "Questionnaires and my progress": the pick has a See my progress button, which is
    /progress itself; the questionnaires' buttons still work after it."""
    service = await _patient_with_checkins(database_url, engine)
    menu = await service.handle(WHO, Inbound.message("/questionnaires"))
    buttons = {b.label: b.token for m in menu.messages for row in m.buttons for b in row}
    assert "See my progress" in buttons and "Mood (PHQ-9)" in buttons
    progress = await service.handle(WHO, Inbound.press(str(buttons["See my progress"])))
    assert progress.messages[0].text.startswith("<b>Your last 4 weeks</b>")
    assert any(m.attachment is not None for m in progress.messages)
    phq9 = await service.handle(WHO, Inbound.press(str(buttons["Mood (PHQ-9)"])))
    assert "little interest or pleasure" in " ".join(m.text for m in phq9.messages).lower()
    await service.database.dispose()
