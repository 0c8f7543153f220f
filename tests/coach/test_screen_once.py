"""One message is read by the crisis screen once, and nothing of it stays after its event.

Reading is the costly part of a screen (normalising, the phrase scan, the learned layer);
the reading goes down with the event to each check (before the database, in the step, the
help lines without a database). It holds numbers and rule ids, never the words.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.coach.screening import CrisisScreener, ScreenedText
from bot.coach.service import CoachService
from bot.db import store
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.safety.screen import CrisisScreen
from bot.shared.conversation import ConversationState, PatientView
from bot.shared.messages import Inbound
from tests.coach.helpers import agree, button
from tests.conftest import CONTENT


@dataclass
class CountingScreener(CrisisScreener):
    """The real screener, counting the texts it reads."""

    reads: list[str] = field(default_factory=list, repr=False)

    def read(self, text: str) -> ScreenedText:
        self.reads.append("read")  # a mark, not the text
        return super().read(text)


@pytest.fixture(scope="module")
def crisis_screen() -> CrisisScreen:
    return CrisisScreen.from_content(CONTENT)


@pytest.fixture
def screener(crisis_screen: CrisisScreen) -> CountingScreener:
    return CountingScreener(crisis_screen, "https://example.org/book")


@pytest.fixture
async def counted(
    tmp_path: Path, engine: Engine, screener: CountingScreener
) -> AsyncIterator[CoachService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3")
    await upgrade_to_head(database)
    own = Engine(
        engine.library, screener=screener, booking_url=engine.booking_url, intents=engine.intents
    )
    service = CoachService(own, database, "test")
    yield service
    await service.close()
    await database.dispose()


async def _reads(service: CoachService, screener: CountingScreener, event: Inbound) -> int:
    screener.reads.clear()
    await service.handle("p1", event)
    return len(screener.reads)


async def test_every_message_is_read_once(
    counted: CoachService, screener: CountingScreener
) -> None:
    await agree(counted, "p1")
    for text in (
        "the weather is nice today",
        "/reframe",
        "my boss yelled at me in front of everyone",  # an answer in an exercise
        "my heart is racing and skipping since i took the extra shot",  # the direct question
        "no",  # its answer
        "I want to kill myself",  # the crisis answer
    ):
        assert await _reads(counted, screener, Inbound.message(text)) == 1, text


async def test_a_button_is_not_read(counted: CoachService, screener: CountingScreener) -> None:
    hello = await counted.handle("p1", Inbound.message("/start"))
    screener.reads.clear()
    await counted.handle("p1", Inbound.press(button(hello.messages, "Okay, go on")))
    assert screener.reads == []


async def test_a_crisis_retried_and_answered_without_the_database_is_read_once(
    counted: CoachService, screener: CountingScreener, monkeypatch: pytest.MonkeyPatch
) -> None:
    await agree(counted, "p1")

    def conflict(*args: Any, **kwargs: Any) -> int:
        raise store.ConcurrentUpdate

    monkeypatch.setattr(store, "save_conversation", conflict)
    screener.reads.clear()
    reply = await counted.handle("p1", Inbound.message("I want to kill myself"))
    assert not reply.stored and "988" in " ".join(m.text for m in reply.messages)
    assert len(screener.reads) == 1


def test_an_edited_message_is_read_once(counted: CoachService, screener: CountingScreener) -> None:
    screener.reads.clear()
    found = counted.crisis_in_edit("I want to kill myself")
    assert found is not None and "988" in " ".join(m.text for m in found[1])
    assert len(screener.reads) == 1


def test_the_screen_keeps_no_memory_of_texts(crisis_screen: CrisisScreen) -> None:
    assert [f.name for f in dataclasses.fields(crisis_screen)] == ["config", "detector", "learned"]


def test_a_reading_holds_no_words(screener: CountingScreener) -> None:
    read = screener.read("I want to kill myself, zqxwvut knows")
    assert "zqxwvut" not in repr(read)
    assert read.typed_words == 7 and read.reading.words == 7


def _holding(marker: str, *roots: object) -> list[str]:
    """Where a string holding ``marker`` (as typed, or in lower case: a normalised copy, a
    word remembered) is reachable from ``roots`` and every ``bot`` module: the path to it.

    A walk over referents (and dict keys), since the collector does not track a dict or
    tuple of strings and numbers: a cache keyed by text would be missed by gc.get_objects."""
    low = marker.lower()
    starts = [*roots, *(m for n, m in sys.modules.items() if n.split(".")[0] == "bot")]
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(root, type(root).__name__) for root in starts]
    found = []
    while stack:
        obj, path = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if marker in obj or low in obj:
                found.append(path)
            continue
        if isinstance(obj, type | types.ModuleType) and path.count(">") > 0:
            continue  # another module or a class: walked from its own root, or not ours
        refs = list(gc.get_referents(obj))
        if isinstance(obj, dict):
            refs += obj.keys()  # a dict's string keys are not among its referents
        elif not isinstance(obj, type | types.ModuleType):
            refs.append(_attributes(obj))
        stack.extend((ref, f"{path}>{type(ref).__name__}") for ref in refs)
    return found


def _attributes(obj: object) -> object:
    """An instance's attributes (kept inline, out of its referents, since Python 3.11)."""
    try:
        return object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        return None


async def test_no_word_of_a_message_stays_in_memory_after_its_event(
    counted: CoachService, screener: CountingScreener
) -> None:
    await agree(counted, "p1")
    marker = "".join(reversed("wXmnbvzQ"))  # a word nobody knows (a name); built, not a constant
    for text in (f"I want to kill myself {marker}", f"the weather is nice {marker} today"):
        await counted.handle("p1", Inbound.message(text))
    found = counted.crisis_in_edit(f"I want to die {marker}")
    assert found is not None
    del found, text
    gc.collect()
    assert _holding(marker, counted, screener) == []


def test_a_reading_from_a_swapped_screener_is_read_again(
    engine: Engine, crisis_screen: CrisisScreen
) -> None:
    """A reload may swap the engine between the check before the database and the step."""
    before = CountingScreener(crisis_screen, "https://example.org/book")
    after = CountingScreener(crisis_screen, "https://example.org/book")
    own = Engine(engine.library, screener=after, booking_url=engine.booking_url)
    event = Inbound.message("I want to kill myself")
    read = before.read(event.text)
    turn = own.handle(ConversationState(), PatientView(), event, read)
    assert turn.safety_events and len(after.reads) == 1
    own.handle(ConversationState(), PatientView(), event, after.read(event.text))
    assert len(after.reads) == 2  # its own reading is used as it is
