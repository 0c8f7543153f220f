"""A patient talks to the real bot over HTTP: menu, the example flow, commands mid-flow."""

from __future__ import annotations

from telegram.ext import Application

from bot.flow.library import FlowLibrary
from tests.tg.conftest import Patients, agree, say, settle, tap
from tests.tg_emulator import BotApiEmulator

CONTINUE = "↩ Continue: Example of every feature"


async def test_menu_shows_the_menu_flows_and_commands_are_registered(
    app: Application, emu: BotApiEmulator, tg_library: FlowLibrary
) -> None:
    user = emu.user(1001)
    (menu,) = await say(user, "/menu")
    assert menu.text == "What would you like to do?"
    labels = [label for row in menu.buttons for label in row]
    expected = [tg_library.content.get(c.flow.start.menu) for c in tg_library.menu()]
    assert labels == expected
    assert menu.parse_mode == "HTML"
    names = [c["command"] for c in emu.commands]
    assert names[:6] == ["start", "menu", "help", "cancel", "sos", "book"]
    for compiled in tg_library.menu():
        if compiled.flow.start.command:
            assert compiled.flow.start.command in names


async def test_start_is_passed_to_the_engine(app: Application, emu: BotApiEmulator) -> None:
    user = emu.user(1002)
    (first, *_) = await say(user, "/start")
    assert first.text  # a start flow if there is one, else the engine's unknown-command line


async def test_example_flow_by_buttons_records_the_journal_entry(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(1003, "Ada")
    await agree(user)
    pressed = len(emu.callback_answers)  # the onboarding's buttons
    welcome, question = await say(user, "/example", count=2)
    assert "This short example" in welcome.text
    assert question.buttons == [["Fairly calm", "Anxious"], ["Low", "Angry"]]

    anxious = question.button("Anxious")["callback_data"]
    (distress,) = await tap(user, "Anxious")
    assert emu.message(user.chat_id, question.message_id).buttons == [["✓ Anxious"]]
    assert [c["data"] for c in emu.callback_answers[pressed:]] == [anxious]
    assert distress.buttons[0] == ["0", "1", "2", "3", "4", "5"]

    (halt,) = await tap(user, "5")
    await user.press("Hungry")
    await user.press("Tired")
    await emu.wait_for(
        lambda: emu.message(user.chat_id, halt.message_id).buttons[0][0] == "✓ Hungry"
    )
    await settle(emu, 0.1)
    assert emu.message(user.chat_id, halt.message_id).buttons[:2] == [
        ["✓ Hungry", "Angry"],
        ["Lonely", "✓ Tired"],
    ]
    (thought,) = await tap(user, "Done ✓")
    assert emu.message(user.chat_id, halt.message_id).buttons == [["✓ Hungry, Tired"]]
    assert "thought" in thought.text

    await say(user, "Nobody likes me")
    (share,) = await say(user, "60")
    assert share.buttons == [["Yes", "No"]]
    (helped,) = await tap(user, "Yes")
    assert helped.buttons == [["Skip this one"]]
    await say(user, "A walk with my dog")
    (zone,) = await say(user, "8:30 pm")
    summary, written, goodbye = await tap(user, "Eastern", count=3)
    assert "Anxious (5/10)" in summary.text
    assert "Nobody likes me" in summary.text
    assert "written in the flow itself" in written.text
    assert "saved in your journal" in goodbye.text
    assert goodbye.buttons == [["Menu", "All the skills"]]  # any skill two taps away

    (entry,) = await patients.journal(user.chat_id)
    assert entry.kind == "example_entry"
    assert entry.data["feeling"] == "anxious"
    assert entry.data["distress"] == 5
    assert entry.data["halt"] == ["hungry", "tired"]
    assert entry.data["thought"] == "Nobody likes me"
    assert entry.data["helped"] == "A walk with my dog"
    assert entry.data["zone"] == "America/New_York"


async def test_example_flow_by_text(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(1004)
    await agree(user)
    await say(user, "/example", count=2)
    await say(user, "low")
    await say(user, "3")
    await say(user, "lonely, tired")
    await say(user, "done")
    await say(user, "I always mess up")
    await say(user, "80")
    await say(user, "no")
    await say(user, "7:15")
    summary, _, goodbye = await say(user, "Chicago", count=3)
    assert "Low (3/10)" in summary.text
    assert "saved in your journal" in goodbye.text
    (entry,) = await patients.journal(user.chat_id)
    assert entry.data["halt"] == ["lonely", "tired"]
    assert entry.data["helped"] is None
    assert entry.data["zone"] == "America/Chicago"


async def test_help_mid_flow_then_menu_continues_where_left_off(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(1005)
    await agree(user)
    await say(user, "/example", count=2)
    (distress,) = await tap(user, "Angry")
    (help_text,) = await say(user, "/help")
    assert "/sos" in help_text.text
    (menu,) = await say(user, "/menu")
    assert menu.buttons[0] == [CONTINUE]
    (again,) = await tap(user, CONTINUE)
    assert again.text == distress.text
    assert emu.message(user.chat_id, menu.message_id).buttons == [[f"✓ {CONTINUE}"]]
    (halt,) = await tap(user, "2")
    assert "Tap all that fit" in halt.text


async def test_a_stale_button_has_passed_and_the_step_stays(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(1006)
    await agree(user)
    await say(user, "/example", count=2)
    (distress,) = await tap(user, "Low")
    (retry,) = await say(user, "very much")  # not a number: asked again, with buttons
    assert retry.buttons[0][0] == "0"
    (halt,) = await tap(user, "4")  # pressed on the retry message
    assert "Tap all that fit" in halt.text

    await user.press_in(distress.message_id, "9")  # the first copy's buttons are old now
    stale, *reask = await user.wait_for_reply(count=2)
    assert "has passed" in stale.text
    assert reask[0].text == halt.text
    assert emu.callback_answers[-1]["text"] == "That question has passed."
    # Still at the HALT question: its buttons work and lead on to the thought.
    await user.press("Lonely")
    (thought,) = await tap(user, "Done ✓")
    assert "thought" in thought.text
