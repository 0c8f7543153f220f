"""What is not a plain answer: media, captions, edits, groups and channels."""

from __future__ import annotations

import asyncio

from telegram.ext import Application

from tests.tg.conftest import Patients, agree, say, settle, tap
from tests.tg_emulator import BotApiEmulator


async def test_a_sticker_gets_a_kind_reply_and_the_question_stays_open(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(2001)
    await agree(user)
    await say(user, "/example", count=2)
    for send in (
        user.send_sticker,
        user.send_voice,
        user.send_location,
        user.send_contact,
        user.send_document,
        user.send_photo,
    ):
        await send()
        (reply,) = await user.wait_for_reply()
        assert "only read text" in reply.text
    (distress,) = await tap(user, "Anxious")  # the feeling question still works
    assert "0 (none) to 10" in distress.text


async def test_a_caption_is_read_as_text(app: Application, emu: BotApiEmulator) -> None:
    user = emu.user(2002)
    await agree(user)
    await say(user, "/example", count=2)
    await user.send_photo(caption="angry")
    (distress,) = await user.wait_for_reply()
    assert "0 (none) to 10" in distress.text


async def test_an_edited_message_is_only_screened_for_crisis_language(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    user = emu.user(2003)
    await agree(user)
    agreed = len(user.sent())  # the onboarding's messages
    await say(user, "/example", count=2)
    (distress,) = await tap(user, "Low")
    first = await user.send("4")
    (halt,) = await user.wait_for_reply()

    await user.edit(first.message_id, "7")  # an ordinary edit: nothing happens
    await settle(emu)
    assert len(user.sent()) == agreed + 4

    await user.edit(first.message_id, "I want to kill myself")
    replies = await user.wait_for_reply(count=1)
    await settle(emu)
    crisis = user.sent()[agreed + 4 :]
    assert crisis[0] is replies[0]
    assert "You don't have to carry this alone" in crisis[0].text
    # The step was not answered again: HALT's buttons still work.
    await user.press("Tired")
    (thought,) = await tap(user, "Done ✓")
    assert "thought" in thought.text
    assert await patients.journal(user.chat_id) == []


async def test_a_group_is_told_once_and_left_and_nothing_is_stored(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    group = emu.group(-100555, "Family")
    await group.send(2004, "/start")
    await group.send(2004, "hello?")
    (line,) = await group.wait_for_reply()
    await settle(emu)
    assert len(group.sent()) == 1
    assert "private chat" in line.text
    assert emu.left_chats == [-100555]

    added = emu.group(-100666, "Another", type="supergroup")
    await added.add_bot(2005)
    (line,) = await added.wait_for_reply()
    await settle(emu)
    assert len(added.sent()) == 1
    assert emu.left_chats == [-100555, -100666]

    for chat_id in (-100555, -100666, 2004, 2005):
        assert await patients.find(chat_id) is None


async def test_a_channel_post_leaves_the_channel(
    app: Application, emu: BotApiEmulator, patients: Patients
) -> None:
    channel = emu.channel(-1001777, "News")
    await channel.post("hello")
    await emu.wait_for(lambda: emu.left_chats == [-1001777])
    assert await patients.find(-1001777) is None


async def test_the_noop_marker_button_is_only_answered(
    app: Application, emu: BotApiEmulator
) -> None:
    user = emu.user(2006)
    await agree(user)
    agreed, pressed = len(user.sent()), len(emu.callback_answers)
    _, question = await say(user, "/example", count=2)
    await tap(user, "Fairly calm")
    await user.press_in(question.message_id, "✓ Fairly calm")
    await emu.wait_for(lambda: len(emu.callback_answers) == pressed + 2)
    await asyncio.sleep(0.2)
    assert len(user.sent()) == agreed + 3
