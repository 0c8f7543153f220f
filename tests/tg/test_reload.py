"""Reloading flows and texts while patients are mid-exercise: nobody is lost.

The bot runs on a temporary copy of flows/ and content/; a clinician's edit lands on
disk, an admin sends /reload (or the process gets SIGHUP), and every patient goes on
from the step they were at, with the new words. A broken edit is refused with file:line.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.coach.build import build_library
from bot.config import Settings
from bot.tg.runner import channel_of, running_bot
from tests.tg.conftest import FAST_RETRIES, ROOT, _settings, agree, eventually, say, tap
from tests.tg_emulator import BotApiEmulator

ADMIN = 9000
OLD_BELIEF = "How much do you believe that thought"
NEW_BELIEF = "Reloaded: how strongly do you hold that thought"


@pytest.fixture
def editable(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


@pytest.fixture
def reload_settings(emu: BotApiEmulator, database_file: str, editable: Path) -> Settings:
    settings = _settings(emu.base_url, database_file, admin_ids=[ADMIN])
    return settings.model_copy(
        update={"flows_dir": editable / "flows", "content_dir": editable / "content"}
    )


@pytest.fixture
async def live(reload_settings: Settings) -> AsyncIterator[Application]:
    library = build_library(reload_settings)
    assert not library.problems
    async with running_bot(reload_settings, library, retry_delays=FAST_RETRIES) as application:
        yield application


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_reload_keeps_every_conversation_and_uses_the_new_text(
    live: Application, emu: BotApiEmulator, editable: Path
) -> None:
    at_feeling, at_distress, at_thought = emu.user(2001), emu.user(2002), emu.user(2003)
    for user in (at_feeling, at_distress, at_thought):
        await agree(user)
        await say(user, "/example", count=2)
    await tap(at_distress, "Anxious")
    await tap(at_thought, "Fairly calm")

    _edit(editable / "content" / "example.yaml", OLD_BELIEF, NEW_BELIEF)
    _edit(
        editable / "flows" / "example.yaml",
        "(This line is written",
        "(This reloaded line is written",
    )
    (answer,) = await say(emu.user(ADMIN), "/reload")
    shipped = len(list((ROOT / "flows").glob("*.yaml")))
    assert answer.text.startswith(f"Reloaded {shipped} flows"), answer.text
    assert "example" in answer.text

    (distress,) = await tap(at_feeling, "Low")  # each goes on from its own step
    assert distress.buttons[0] == ["0", "1", "2", "3", "4", "5"]
    (halt,) = await tap(at_distress, "3")
    assert "Tap all that fit" in halt.text
    (belief,) = await say(at_thought, "I always mess up")
    assert belief.text.startswith(NEW_BELIEF)
    assert all(
        "updated since you started" not in m.text
        for u in (at_feeling, at_distress, at_thought)
        for m in u.sent()
    )

    await say(at_thought, "70")
    await tap(at_thought, "No")
    await say(at_thought, "9pm")
    summary, written, _ = await tap(at_thought, "Eastern", count=3)
    assert "This reloaded line" in written.text


async def test_a_broken_reload_keeps_the_running_flows_and_names_file_and_line(
    live: Application, emu: BotApiEmulator, editable: Path
) -> None:
    patient = emu.user(2101)
    await agree(patient)
    await say(patient, "/example", count=2)
    running = channel_of(live).coach.engine
    _edit(editable / "flows" / "example.yaml", "    next: distress ", "    next: distres ")
    _edit(editable / "content" / "example.yaml", OLD_BELIEF, NEW_BELIEF)

    (answer,) = await say(emu.user(ADMIN), "/reload")
    assert answer.text.startswith("Reload refused"), answer.text
    assert re.search(r"example\.yaml:\d+: .*distres", answer.text), answer.text
    assert "Still running the previous flows" in answer.text
    assert channel_of(live).coach.engine is running

    await tap(patient, "Fairly calm")
    (belief,) = await say(patient, "A thought")
    assert belief.text.startswith(OLD_BELIEF)


async def test_reload_is_for_admins_only(live: Application, emu: BotApiEmulator) -> None:
    running = channel_of(live).coach.engine
    (answer, *_) = await say(emu.user(2201), "/reload")
    assert answer.text == "I don't know that command. Here is the menu, or type /help."
    assert channel_of(live).coach.engine is running


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is Unix only")
async def test_sighup_reloads(live: Application, emu: BotApiEmulator, editable: Path) -> None:
    patient = emu.user(2301)
    await agree(patient)
    await say(patient, "/example", count=2)
    await tap(patient, "Fairly calm")
    running = channel_of(live).coach.engine
    _edit(editable / "content" / "example.yaml", OLD_BELIEF, NEW_BELIEF)
    os.kill(os.getpid(), signal.SIGHUP)

    async def swapped() -> bool:
        return channel_of(live).coach.engine is not running

    await eventually(swapped)
    assert channel_of(live).coach.service.engine is channel_of(live).coach.engine
    (belief,) = await say(patient, "A thought")
    assert belief.text.startswith(NEW_BELIEF)


async def test_reload_amid_traffic_loses_no_conversation(
    live: Application, emu: BotApiEmulator, editable: Path
) -> None:
    patients = [emu.user(2400 + i) for i in range(8)]
    for user in patients:
        await agree(user)
        await say(user, "/example", count=2)
    _edit(editable / "content" / "example.yaml", OLD_BELIEF, NEW_BELIEF)
    admin = emu.user(ADMIN)
    await agree(admin)
    for user in patients[:4]:
        await user.press("Fairly calm")
    await admin.send("/reload")  # lands among the patients' presses
    for user in patients[4:]:
        await user.press("Fairly calm")
    (answer,) = await admin.wait_for_reply(timeout=10)
    assert answer.text.startswith("Reloaded"), answer.text
    for user in patients:
        (thought,) = await user.wait_for_reply(timeout=10)
        assert "thought on your mind" in thought.text, thought.text
    for user in patients:
        await user.send("A thought")
    for user in patients:
        (belief,) = await user.wait_for_reply(timeout=10)
        assert belief.text.startswith(NEW_BELIEF), belief.text
