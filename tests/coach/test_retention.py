"""RETENTION_MONTHS on real databases, with real timestamps: what is older goes, what is
newer stays, a patient not seen for that long goes with everything they gave, and the bot
runs it at start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.coach.retention import apply_retention, months_before
from bot.coach.service import CoachService
from bot.db import outbox, store
from bot.db.migrate import upgrade_to_head
from bot.db.models import Conversation, JournalEntry, Patient, SafetyEventRow, as_utc
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.shared.messages import Inbound, OutboundMessage, SafetyEvent
from bot.tg.runner import running_bot
from tests.db.test_encryption import onboard, write_a_thought
from tests.tg.conftest import FAST_RETRIES, _settings
from tests.tg_emulator import BotApiEmulator

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 8, 31, 12, tzinfo=UTC), 6, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2026, 3, 15, tzinfo=UTC), 3, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 10, tzinfo=UTC), 24, datetime(2024, 1, 10, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


async def patient_id(service: CoachService, who: str) -> int:
    found = await service.database.transaction(
        lambda c: store.find_patient(c, channel=service.channel, external_id=who)
    )
    assert found is not None
    return found.id


async def age(database: Database, model: type, ago: timedelta, **where: int) -> None:
    """Move rows' timestamps back by ``ago`` (as if written then)."""
    column = model.last_seen_at if model is Patient else model.created_at  # type: ignore[attr-defined]

    def move(connection):  # type: ignore[no-untyped-def]
        query = update(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        connection.execute(query.values({column.key: datetime.now(UTC) - ago}))

    await database.transaction(move)


async def rows(database: Database, model: type, **where: int) -> int:
    def read(connection):  # type: ignore[no-untyped-def]
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return connection.execute(query).scalar_one()

    return int(await database.transaction(read))


async def test_older_entries_and_unseen_patients_go_the_rest_stays(service: CoachService) -> None:
    database = service.database
    for who in ("stays", "leaves"):
        await onboard(service, who, who.title())
        for n in range(3):
            await write_a_thought(service, who, f"thought {n} of {who}")
    stays, leaves = await patient_id(service, "stays"), await patient_id(service, "leaves")
    await database.transaction(
        lambda c: store.add_safety_events(
            c,
            patient_id=stays,
            events=[SafetyEvent("suicide", "r1"), SafetyEvent("overdose", "r2")],
        )
    )
    entries = await database.transaction(
        lambda c: list(
            c.execute(select(JournalEntry.id).where(JournalEntry.patient_id == stays)).scalars()
        )
    )
    # Two of the staying patient's entries are seven months old, one five months.
    await age(database, JournalEntry, 212 * DAY, id=entries[0])
    await age(database, JournalEntry, 212 * DAY, id=entries[1])
    await age(database, JournalEntry, 150 * DAY, id=entries[2])
    events = await database.transaction(
        lambda c: list(c.execute(select(SafetyEventRow.id)).scalars())
    )
    await age(database, SafetyEventRow, 400 * DAY, id=events[0])
    # The other one last wrote seven months ago; their entries are recent (a reminder's).
    await age(database, Patient, 212 * DAY, id=leaves)
    await database.transaction(  # a reply still on its way to the patient who leaves
        lambda c: outbox.queue(
            c,
            channel=service.channel,
            chat_id="leaves",
            messages=[OutboundMessage("thought 2 of leaves")],
            owner="A",
        )
    )

    report = await apply_retention(database, 6, batch=1)

    assert (report.patients, report.journal_entries, report.safety_events) == (1, 2, 1)
    assert await rows(database, Patient, id=leaves) == 0
    assert await rows(database, JournalEntry, patient_id=leaves) == 0
    assert await rows(database, Conversation, patient_id=leaves) == 0
    assert await database.transaction(lambda c: outbox.pending_count(c)) == 0
    assert await rows(database, JournalEntry, patient_id=stays) == 1
    assert await rows(database, SafetyEventRow, patient_id=stays) == 1
    export = await service.handle("stays", Inbound.message("/export"))
    exported = "\n".join(m.attachment.data.decode() for m in export.messages if m.attachment)
    assert "thought 2 of stays" in exported  # the export's JSON file
    again = await apply_retention(database, 6)
    assert (again.patients, again.journal_entries, again.safety_events) == (0, 0, 0)


async def test_a_message_marks_the_patient_seen(service: CoachService) -> None:
    await onboard(service, "p1", "Sam")
    pid = await patient_id(service, "p1")
    await age(service.database, Patient, 300 * DAY, id=pid)
    await service.handle("p1", Inbound.message("/menu"))
    seen = await service.database.transaction(
        lambda c: c.execute(select(Patient.last_seen_at).where(Patient.id == pid)).scalar_one()
    )
    assert abs(as_utc(seen) - datetime.now(UTC)) < timedelta(minutes=1)
    assert (await apply_retention(service.database, 6)).patients == 0


@pytest.fixture
async def service_on_file(tmp_path: Path, engine: Engine) -> AsyncIterator[CoachService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3")
    await upgrade_to_head(database)
    yield CoachService(engine, database, "telegram")
    await database.dispose()


async def test_the_bot_applies_retention_at_start(
    library: FlowLibrary, service_on_file: CoachService
) -> None:
    service = service_on_file
    await onboard(service, "1001", "Old")
    await onboard(service, "1002", "Recent")
    old = await patient_id(service, "1001")
    await age(service.database, Patient, 400 * DAY, id=old)
    url = service.database.url
    async with BotApiEmulator(token="123456:TEST") as emu:
        settings = _settings(emu.base_url, url, retention_months=12)
        async with running_bot(settings, library, retry_delays=FAST_RETRIES):
            for _ in range(200):
                if await rows(service.database, Patient, id=old) == 0:
                    break
                await asyncio.sleep(0.1)
    assert await rows(service.database, Patient, id=old) == 0
    assert await rows(service.database, Patient) == 1


@pytest.mark.parametrize("months", ["0", "six", "-3"])
def test_a_malformed_retention_is_named_with_a_fix(months: str) -> None:
    from bot.config import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings(retention_months=months)
    assert str(caught.value).startswith("RETENTION_MONTHS:") and "like 24" in str(caught.value)
