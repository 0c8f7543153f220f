"""Encryption at rest on real databases: nothing a patient typed is readable in the file,
a start with the wrong key is refused, and a rotation moves every value to the new key
while the bot keeps answering."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Text, cast, select

from bot.coach.build import Coach, build_coach
from bot.coach.encryption import rotate
from bot.coach.service import CoachService, Reply
from bot.config import ExitCode, Settings, StartupError
from bot.db import keys
from bot.db.crypto import PREFIX, EncryptionError, KeyRing, key_id_of, use_keys
from bot.db.models import Conversation, EncryptionKey, JournalEntry, Patient
from bot.flow.library import FlowLibrary
from bot.shared.messages import Inbound

NAME = "Quillonette"
WORDS = "Zephyrine keeps calling me useless"


def new_key() -> str:
    """A key as README.md says to make one."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture(autouse=True)
def plain_keys() -> Iterator[None]:
    """Every test starts and ends with no key installed (the ring is process-wide)."""
    use_keys(KeyRing())
    yield
    use_keys(KeyRing())


def settings_for(
    base: Settings, url: str, key: str | None = None, old: str | None = None
) -> Settings:
    return base.model_copy(
        update={
            "database_url": url,
            "data_encryption_key": None if key is None else _secret(key),
            "data_encryption_key_old": None if old is None else _secret(old),
        }
    )


def _secret(value: str):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(value)


@pytest.fixture
async def coaches(library: FlowLibrary) -> AsyncIterator[list[Coach]]:
    """Coaches built by a test, closed after it."""
    built: list[Coach] = []
    yield built
    for coach in built:
        await coach.close()


async def start(coaches: list[Coach], library: FlowLibrary, settings: Settings) -> CoachService:
    coach = await build_coach(settings, "test", library)
    coaches.append(coach)
    return coach.service


def buttons(reply: Reply) -> dict[str, str]:
    return {b.label: b.token for m in reply.messages for row in m.buttons for b in row if b.token}


async def onboard(service: CoachService, who: str, name: str) -> None:
    """/start, consent, a name, Central time, no check-ins (no crisis alerts)."""
    reply = await service.handle(who, Inbound.message("/start"))
    reply = await service.handle(who, Inbound.press(buttons(reply)["Okay, go on"]))
    reply = await service.handle(who, Inbound.press(buttons(reply)["Yes"]))
    reply = await service.handle(who, Inbound.message(name))
    reply = await service.handle(who, Inbound.press(buttons(reply)["Central"]))
    reply = await service.handle(who, Inbound.press(buttons(reply)["No"]))
    if "No" in buttons(reply):  # crisis alerts, when the practice has an on-call chat
        reply = await service.handle(who, Inbound.press(buttons(reply)["No"]))
    assert any(name in m.text for m in reply.messages), [m.text for m in reply.messages]


async def write_a_thought(service: CoachService, who: str, words: str) -> None:
    """The example flow, to its journal entry, with ``words`` as the thought."""
    reply = await service.handle(who, Inbound.message("/example"))
    reply = await service.handle(who, Inbound.press(next(iter(buttons(reply).values()))))
    reply = await service.handle(who, Inbound.message(words))
    reply = await service.handle(who, Inbound.message("60"))
    no = next(t for t in buttons(reply).values() if t.endswith(":no"))
    await service.handle(who, Inbound.press(no))
    await service.handle(who, Inbound.message("9pm"))
    reply = await service.handle(who, Inbound.message("Chicago"))  # the example asks again
    assert reply.records, [m.text for m in reply.messages]


async def exported(service: CoachService, who: str) -> str:
    reply = await service.handle(who, Inbound.message("/export"))
    # /export sends files (the JSON, the CSV, the FHIR bundle): read back as text.
    return "\n".join(m.attachment.data.decode() for m in reply.messages if m.attachment)


def database_bytes(url: str) -> bytes:
    path = Path(url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def stored_values(service: CoachService) -> list[str]:
    """Every encrypted column's values as stored (raw text), for every row."""

    def read(connection):  # type: ignore[no-untyped-def]
        values = []
        for column in (Patient.display_name, Conversation.state, JournalEntry.data):
            query = select(cast(column, Text)).where(column.is_not(None))
            values.extend(connection.execute(query).scalars())
        return values

    return await service.database.transaction(read)


def sealed_id(raw: str) -> str | None:
    text = json.loads(raw) if raw.startswith('"') else raw
    return key_id_of(text) if isinstance(text, str) else None


# -- the key ring -------------------------------------------------------------------------


def test_a_sealed_value_names_its_key_and_opens_with_it_alone() -> None:
    first, second = new_key(), new_key()
    ring = KeyRing.from_keys(first)
    sealed = ring.seal(WORDS)
    assert sealed.startswith(PREFIX) and WORDS not in sealed
    assert key_id_of(sealed) == ring.current_id and ring.unseal(sealed) == WORDS
    assert ring.seal(WORDS) != sealed  # a fresh nonce every time
    both = KeyRing.from_keys(second, [first])
    assert both.unseal(sealed) == WORDS and key_id_of(both.seal(WORDS)) != ring.current_id
    with pytest.raises(EncryptionError):
        KeyRing.from_keys(second).unseal(sealed)
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(EncryptionError):
        ring.unseal(tampered)


def test_a_malformed_key_is_one_sentence_without_the_key() -> None:
    typo = new_key()[:-3] + "!!="
    with pytest.raises(EncryptionError) as caught:
        KeyRing.from_keys(typo)
    assert typo not in str(caught.value) and "README" in str(caught.value)


# -- stored encrypted ---------------------------------------------------------------------


async def test_the_database_file_holds_no_name_and_no_words_with_a_key(
    tmp_path: Path, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    service = await start(coaches, library, settings_for(settings, url, new_key()))
    await onboard(service, "p1", NAME)
    await write_a_thought(service, "p1", WORDS)
    assert WORDS in await exported(service, "p1") and NAME in await exported(service, "p1")
    raw = database_bytes(url)
    for secret in (NAME, WORDS, "Zephyrine", "useless"):
        assert secret.encode() not in raw, secret
    values = await stored_values(service)
    assert len(values) >= 3 and all(sealed_id(v) for v in values), values


async def test_without_a_key_the_words_are_stored_as_before(
    tmp_path: Path, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    """The control for the grep above: the same steps leave the words readable."""
    url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    service = await start(coaches, library, settings_for(settings, url))
    await onboard(service, "p1", NAME)
    await write_a_thought(service, "p1", WORDS)
    raw = database_bytes(url)
    assert NAME.encode() in raw and WORDS.encode() in raw
    assert not any(sealed_id(v) for v in await stored_values(service))


async def test_postgresql_stores_only_sealed_values(
    database_url: str, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    service = await start(coaches, library, settings_for(settings, database_url, new_key()))
    await onboard(service, "p1", NAME)
    await write_a_thought(service, "p1", WORDS)
    values = await stored_values(service)
    assert len(values) >= 3 and all(sealed_id(v) for v in values)
    assert not any(NAME in v or "Zephyrine" in v for v in values)
    assert WORDS in await exported(service, "p1")


# -- the start-up check -------------------------------------------------------------------


async def test_a_key_that_cannot_open_the_data_is_refused_at_start(
    database_url: str, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    first, second = new_key(), new_key()
    service = await start(coaches, library, settings_for(settings, database_url, first))
    await onboard(service, "p1", NAME)
    await coaches.pop().close()

    for wrong in (second, None):
        with pytest.raises(StartupError) as caught:
            await start(coaches, library, settings_for(settings, database_url, wrong))
        message = str(caught.value)
        assert caught.value.code == ExitCode.ENCRYPTION_KEY
        assert first not in message and (wrong is None or wrong not in message)
        assert "DATA_ENCRYPTION_KEY" in message and message.count(".") <= 2

    service = await start(coaches, library, settings_for(settings, database_url, second, first))
    assert NAME in await exported(service, "p1")


async def test_values_without_a_register_entry_are_still_checked(
    database_url: str, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    """The newest values of each column are opened at start, register or not."""
    first = new_key()
    service = await start(coaches, library, settings_for(settings, database_url, first))
    await onboard(service, "p1", NAME)
    await service.database.transaction(lambda c: keys.forget_keys_except(c, None))
    await coaches.pop().close()
    with pytest.raises(StartupError) as caught:
        await start(coaches, library, settings_for(settings, database_url, new_key()))
    assert caught.value.code == ExitCode.ENCRYPTION_KEY


# -- rotation -----------------------------------------------------------------------------


async def test_rotation_moves_everything_to_the_new_key_while_the_bot_answers(
    database_url: str, library: FlowLibrary, settings: Settings, coaches: list[Coach]
) -> None:
    old, new = new_key(), new_key()
    # Some patients from before encryption, some under the old key.
    service = await start(coaches, library, settings_for(settings, database_url))
    await onboard(service, "plain", "Plainson")
    await write_a_thought(service, "plain", "an old plain thought")
    await coaches.pop().close()
    service = await start(coaches, library, settings_for(settings, database_url, old))
    for who in ("a", "b", "c"):
        await onboard(service, who, f"Name{who}")
        await write_a_thought(service, who, f"thought of {who}")
    await coaches.pop().close()

    # Not before a coach has run with the new key: a bot on the old key could not read it.
    service = await start(coaches, library, settings_for(settings, database_url, old))
    use_keys(KeyRing.from_keys(new, [old]))
    with pytest.raises(StartupError) as refused:
        await rotate(service.database, batch=2)
    assert refused.value.code == ExitCode.ENCRYPTION_KEY and new not in str(refused.value)
    await coaches.pop().close()

    service = await start(coaches, library, settings_for(settings, database_url, new, old))
    new_id = KeyRing.from_keys(new).current_id

    async def patient_keeps_talking() -> None:
        for _ in range(3):
            await write_a_thought(service, "a", "written during the rotation")

    talking = asyncio.create_task(patient_keeps_talking())
    report = await rotate(service.database, batch=2)
    await talking
    assert report.complete and sum(report.resealed.values()) >= 9, report
    assert {sealed_id(v) for v in await stored_values(service)} == {new_id}
    registered = await service.database.transaction(
        lambda c: set(c.execute(select(EncryptionKey.key_id)).scalars())
    )
    assert registered == {new_id}
    await coaches.pop().close()

    service = await start(coaches, library, settings_for(settings, database_url, new))
    dumped = await exported(service, "a")
    assert "thought of a" in dumped and "written during the rotation" in dumped
    assert "Plainson" in await exported(service, "plain")


async def test_without_a_key_the_start_warns_once_that_data_is_stored_readable(
    tmp_path: Path,
    library: FlowLibrary,
    settings: Settings,
    coaches: list[Coach],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    with caplog.at_level("INFO", logger="bot"):
        service = await start(coaches, library, settings_for(settings, url))
        await onboard(service, "p1", NAME)
    warnings = [r for r in caplog.records if "stored unencrypted" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    with caplog.at_level("INFO", logger="bot"):
        caplog.clear()
        await start(coaches, library, settings_for(settings, url, new_key()))
    assert not [r for r in caplog.records if "stored unencrypted" in r.getMessage()]
