"""End to end over the Bot API emulator: /progress sends its chart (sendPhoto) and its
one-page PDF (sendDocument); /export sends JSON, CSV and a FHIR bundle (sendDocument).
The files are read back from what reached "Telegram": the PDF has one page and the
patient's figures, the FHIR bundle validates, the CSV has the scores."""

from __future__ import annotations

import csv
import io
import json

from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from telegram.ext import Application

from tests.tg.conftest import settle
from tests.tg_emulator import BotApiEmulator, BotMessage, EmulatedUser

TELEGRAM_ID = 424242424


async def _answered(emu: BotApiEmulator, user: EmulatedUser, before: int) -> None:
    """Wait for the bot's answer (at least one new message, then quiet)."""
    await emu.wait_for(lambda: len(user.sent()) > before, timeout=30)
    await settle(emu, 0.3)


async def _tap(emu: BotApiEmulator, user: EmulatedUser, label: str) -> None:
    before = len(user.sent())
    await user.press(label)
    await _answered(emu, user, before)


async def _say(emu: BotApiEmulator, user: EmulatedUser, text: str) -> None:
    before = len(user.sent())
    await user.send(text)
    await _answered(emu, user, before)


async def _onboard(emu: BotApiEmulator, user: EmulatedUser) -> None:
    await _say(emu, user, "/start")
    await _tap(emu, user, "Okay, go on")
    await _tap(emu, user, "Yes")  # consent: only now is anything stored
    await _say(emu, user, "Robin")
    await _tap(emu, user, "Central")
    while (last := user.last) is not None and any("No" in row for row in last.buttons):
        await _tap(emu, user, "No")


def _file(message: BotMessage, field: str) -> bytes:
    upload = message.params[field]
    assert isinstance(upload, dict), upload
    return bytes(upload["content"])


async def test_progress_and_export_arrive_as_files(app: Application, emu: BotApiEmulator) -> None:
    # A Telegram id no random UUID in the export will hold by chance ("4242" once did).
    user = emu.user(TELEGRAM_ID, "Robin")
    await _onboard(emu, user)
    await _say(emu, user, "/checkin")
    for label in [
        "6",
        "4",
        "3",
        "7",
        "2",
        "None today",
        "Skip this one",
        "Done ✓",
        "Skip this one",
    ]:
        await _tap(emu, user, label)
    for answers in (
        ["More than half the days"] * 7 + ["Not at all"] * 2,
        ["Several days"] * 8 + ["Not at all"],
    ):
        await _say(emu, user, "/phq9")
        for label in answers:
            await _tap(emu, user, label)
    assert "Your PHQ-9 score is 8, in the mild range" in (user.last.text or "")  # type: ignore[union-attr]

    before = len(user.sent())
    await user.send("/progress")
    summary, photo, document = await user.wait_for_reply(timeout=30, count=3)
    assert len(user.sent()) == before + 3
    assert "PHQ-9: 14 → 8, moderate → mild" in (summary.text or "")
    assert photo.method == "sendPhoto" and document.method == "sendDocument"
    png = _file(photo, "photo")
    assert png.startswith(b"\x89PNG")
    assert document.buttons == [["Last 12 weeks"], ["Menu"]]
    pdf = PdfReader(io.BytesIO(_file(document, "document")))
    assert len(pdf.pages) == 1
    page = pdf.pages[0].extract_text()
    assert "Progress summary for Robin" in page and "PHQ-9: 14 to 8, moderate to mild" in page
    assert "Check-ins on 1 of 28 days" in page
    assert str(TELEGRAM_ID) not in page  # no Telegram ids

    await _tap(emu, user, "Last 12 weeks")
    await emu.wait_for(lambda: len(user.sent()) >= before + 6, timeout=30)
    assert "Your last 12 weeks" in (user.sent()[before + 3].text or "")
    assert user.sent()[before + 5].buttons == [["Menu"]]  # 12 weeks: no dead end either

    start = len(user.sent())
    await user.send("/export")
    intro, *files = await user.wait_for_reply(timeout=30, count=4)
    assert "everything you have given" in (intro.text or "")
    assert [f.method for f in files] == ["sendDocument"] * 3
    everything, table, fhir = (_file(f, "document") for f in files)
    assert len(user.sent()) == start + 4
    assert [m["total"] for m in json.loads(everything)["measures"]] == [14.0, 8.0]
    rows = list(csv.DictReader(io.StringIO(table.decode())))
    assert [r["value"] for r in rows if r["source"] == "questionnaire"] == ["14.0", "8.0"]
    bundle = Bundle.model_validate(json.loads(fhir))
    observations = [
        e.resource for e in bundle.entry or [] if e.resource.get_resource_type() == "Observation"
    ]
    assert [o.valueQuantity.value for o in observations] == [14, 8]
    assert observations[0].code.coding[0].code == "44261-6"
    assert str(TELEGRAM_ID) not in fhir.decode()
