"""A reminder over the Bot API emulator: it arrives, one tap starts the check-in, it is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from telegram.ext import Application

from bot.coach import profile as coach_profile
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.models import Reminder, ReminderSend
from bot.flow.library import FlowLibrary
from bot.tg.runner import running_bot
from tests.tg.conftest import FAST_RETRIES, Patients, _settings, eventually, tap
from tests.tg_emulator import BotApiEmulator


async def _due_now(patients: Patients, chat_id: int) -> None:
    """A patient whose daily reminder fell due a minute ago."""
    await upgrade_to_head(patients.database)

    def step(connection) -> None:  # type: ignore[no-untyped-def]
        loaded = store.load_conversation(connection, channel="telegram", external_id=str(chat_id))
        assert loaded is not None
        coach_profile.update_profile(
            connection,
            patient_id=loaded.patient.id,
            updates={
                "consent": "yes",
                "timezone": "UTC",
                "checkin_time": "09:00",
                "checkins": "yes",
            },
        )
        connection.execute(
            update(Reminder)
            .where(Reminder.patient_id == loaded.patient.id)
            .values(next_due=datetime.now(UTC) - timedelta(minutes=1))
        )

    await patients.database.transaction(step)


@pytest.fixture
async def reminding_app(
    emu: BotApiEmulator, database_file: str, tg_library: FlowLibrary, patients: Patients
) -> AsyncIterator[Application]:
    await _due_now(patients, 3001)
    await _due_now(patients, 3002)
    emu.block(3002)
    settings = _settings(emu.base_url, database_file, reminder_interval_seconds=0.2)
    async with running_bot(settings, tg_library, retry_delays=FAST_RETRIES) as application:
        yield application


async def test_reminder_arrives_and_one_tap_starts_the_checkin(
    reminding_app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(3001)
    (reminder,) = await user.wait_for_reply(timeout=5)
    assert reminder.text.startswith("Time for your check-in")
    assert "kratom" not in reminder.text.lower()
    assert [label for row in reminder.buttons for label in row] == [str(n) for n in range(11)]

    (anxiety,) = await tap(user, "7")
    assert "anxious" in anxiety.text
    for answer in ("3", "2", "6", "1"):
        await tap(user, answer)
    await tap(user, "None today")
    await tap(user, "Skip this one")  # anything else today
    await tap(user, "Skip this one")  # skills
    await user.press("Skip this one")

    async def recorded() -> list[store.JournalItem]:
        return [e for e in await patients.journal(3001) if e.kind == "check_in"]

    [entry] = await eventually(recorded)
    assert entry.data["mood"] == 7 and entry.data["kratom"] == "none"

    async def statuses() -> list[str]:
        return await patients.database.transaction(
            lambda c: sorted(row[0] for row in c.execute(select(ReminderSend.status)))
        )

    # The dispatcher records outcomes after its batch; the check-in may be done sooner.
    async def settled() -> list[str] | None:
        found = await statuses()
        return found if not {"pending", "sending"} & set(found) else None

    assert await eventually(settled) == ["blocked", "sent"]
    blocked = await patients.find(3002)
    assert blocked is not None and not blocked.active and not blocked.checkins
    assert len(emu.sent(3001)) >= 1 and emu.sent(3001)[0].text == reminder.text
