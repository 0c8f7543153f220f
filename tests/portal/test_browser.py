"""The whole path in a real browser (Debian's headless Chromium, driven by Playwright) beside
the real bot over the Bot API emulator, on one SQLite file:

set-up link (from `coach clinician add`) -> password -> TOTP -> log-in; an invitation; the
patient opens the deep link, agrees to share and answers the direct safety question yes;
the on-call chat hears only that an alert is waiting; the alert appears; it is acknowledged
and closed; the patient withdraws with /sharing and vanishes from the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Browser, Page, async_playwright
from pypdf import PdfReader

from bot.cli.main import main as coach
from bot.db.session import Database
from bot.flow.library import FlowLibrary
from bot.portal.app import build_portal
from bot.portal.scores import StoredScores, questionnaire_names
from bot.tg.runner import running_bot
from tests.portal.helpers import PASSWORD, free_port, serving
from tests.tg.conftest import FAST_RETRIES, _settings, say, settle, tap
from tests.tg_emulator import BotApiEmulator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ONCALL = -100777
EMAIL = "dr.rivera@practice.org"
LABEL = "Record 4471 <b>J. Doe</b>"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: .ci/run installs chromium")
        pytest.skip("needs Debian's chromium (bash .ci/run installs it)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def _coach(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = coach(argv)
    return code, out.getvalue()


async def _next_code(secret: str, after: datetime) -> str:
    """A code of a later 30-second step than the one ``after`` used (each opens one log-in)."""
    return pyotp.TOTP(secret).at(after + timedelta(seconds=30))


async def test_set_up_invite_alert_acknowledge_close_withdraw(
    browser: Browser,
    emu: BotApiEmulator,
    tg_library: FlowLibrary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/coach.sqlite3"
    port = free_port()
    portal = f"http://127.0.0.1:{port}"
    settings = _settings(
        emu.base_url,
        database_url,
        oncall_chat_id=ONCALL,
        portal_url=portal,
        portal_port=port,
        telegram_bot_username="practice_coach_bot",
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_URL", portal)
    code, printed = await asyncio.to_thread(_coach, ["clinician", "add", EMAIL, "--admin"])
    assert code == 0
    (setup_link,) = re.findall(rf"{re.escape(portal)}/setup/\S+", printed)

    emu.group(ONCALL, "On call")
    database = Database(database_url)
    scores = StoredScores(questionnaire_names(Path("flows")))
    app = build_portal(settings, database, sweep_every=None, scores=scores)
    try:
        async with (
            running_bot(settings, tg_library, retry_delays=FAST_RETRIES),
            serving(app, port=port),
        ):
            page = await browser.new_page()
            await _set_up_and_sign_in(page, setup_link)
            link = await _invite(page)
            await _patient_shares_and_says_yes(emu, link, f"{portal}/alerts")
            await _handle_the_alerts(page)
            await _chart_as_pdf(page)
            await _patient_withdraws(emu, page)
    finally:
        await database.dispose()


async def _set_up_and_sign_in(page: Page, setup_link: str) -> None:
    await page.goto(setup_link)
    await page.fill("#password", PASSWORD)
    await page.fill("#again", PASSWORD)
    await page.click("#next")
    secret = (await page.inner_text("#secret")).replace(" ", "")
    assert (await page.inner_text("#uri")).startswith("otpauth://totp/")
    used = datetime.now(UTC)
    await page.fill("#code", pyotp.TOTP(secret).at(used))
    await page.click("#finish")
    assert "Your account is ready" in await page.inner_text("#ready")
    await page.fill("#email", EMAIL)
    await page.fill("#password", PASSWORD)
    await page.fill("#code", await _next_code(secret, used))
    await page.click("#signin")
    assert page.url.endswith("/patients")
    assert "No patient shares" in await page.inner_text("#empty")


async def _invite(page: Page) -> str:
    await page.click("text=Invite a patient")
    await page.fill("#label", LABEL)
    await page.click("#create")
    link = await page.inner_text("#link")
    assert link.startswith("https://t.me/practice_coach_bot?start=")
    assert LABEL in await page.inner_text("#created")  # shown as written, not as markup
    return link


async def _patient_shares_and_says_yes(emu: BotApiEmulator, link: str, queue: str) -> None:
    user = emu.user(4471)
    # The patient goes through /start and agrees to the coach first.
    await say(user, "/start", count=2)
    await tap(user, "Okay, go on", count=2)
    await tap(user, "Yes")
    await say(user, "Jamie")
    await tap(user, "Central")
    await tap(user, "No")  # no daily check-ins (with the portal, no on-call question)
    code = link.split("start=", 1)[1]
    (invited,) = await say(user, f"/start {code}")
    assert invited.buttons == [
        ["Share ratings, scores and alerts"],
        ["Share those and my journal"],
        ["Not now"],
    ]
    (thanks,) = await tap(user, "Share ratings, scores and alerts")
    assert "Your journal stays private" in (thanks.text or "")
    await _patient_answers_phq9_item_9(emu)
    # PHQ-9 item 9 above 0 is urgent: the on-call chat hears that an alert is waiting.
    await emu.wait_for(lambda: len(emu.sent(ONCALL)) == 1, timeout=10)
    (question,) = await say(user, "I can't do this anymore")
    assert ["Yes, I am"] in question.buttons or any("Yes, I am" in r for r in question.buttons)
    await user.press("Yes, I am")
    await emu.wait_for(lambda: len(emu.sent(ONCALL)) == 2, timeout=10)
    for notice in emu.sent(ONCALL):
        assert notice.text == f"An alert is waiting in the practice portal: {queue}"
        assert "Jamie" not in (notice.text or "") and "suicide" not in (notice.text or "")


async def _patient_answers_phq9_item_9(emu: BotApiEmulator) -> None:
    user = emu.user(4471)
    *_, first = await say(user, "/phq9", count=3)  # a word on it, the recall window, item 1
    assert "Little interest or pleasure" in (first.text or "")
    for _ in range(8):
        await tap(user, "Not at all")
    # Item 9: the PHQ-9 is stored at once, so the patient is told of the alert, and the
    # direct question comes last, for them to answer.
    told, question = await tap(user, "Several days", count=2)
    assert "let your care team know" in (told.text or "")
    assert "ask you directly" in (question.text or "") and "score" not in (question.text or "")
    await user.press("No")
    for _ in range(50):  # the answer's messages, the last with the result's button
        with contextlib.suppress(LookupError):
            await user.press("See my result")
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("no 'See my result' button after the answer no")
    await emu.wait_for(
        lambda: any("Your PHQ-9 score is 1" in (m.text or "") for m in emu.sent(4471)),
        timeout=10,
    )
    await settle(emu)


async def _handle_the_alerts(page: Page) -> None:
    """Both alerts are in the queue (PHQ-9 item 9, then the yes); each is acknowledged and
    closed with a note."""
    await page.click("text=Alerts")
    for _ in range(50):  # the PHQ-9 result is stored as the last reply goes out
        if await page.locator("#alerts tbody tr").count() == 2:
            break
        await asyncio.sleep(0.1)
        await page.reload()
    queue = await page.inner_text("#alerts")
    assert "Yes to the direct safety question" in queue
    assert "PHQ-9 item 9 above 0" in queue
    for _ in range(2):
        row = page.locator("#alerts tbody tr").first
        assert "J. Doe" in await row.inner_text()
        await row.locator("button.acknowledge").click()
        row = page.locator("#alerts tbody tr").first
        assert f"acknowledged by {EMAIL}" in await row.inner_text()
        await row.locator("input.note").fill("Called the patient; safe, seen tomorrow.")
        await row.locator("button.close").click()
    assert "No open alerts" in await page.inner_text("#no-alerts")


async def _chart_as_pdf(page: Page) -> None:
    """From the list to the patient's page, and its chart downloaded as the PDF."""
    await page.click("text=Patients")
    await page.click("#patients a")
    async with page.expect_download() as started:
        await page.click("#chart-pdf")
    download = await started.value
    assert re.fullmatch(r"chart-\d+-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    saved = await download.path()
    text = PdfReader(io.BytesIO(Path(saved).read_bytes())).pages[0].extract_text()
    assert f"Progress summary for {LABEL}" in text  # the label as written, on the page
    assert "PHQ-9: 1" in text


async def _patient_withdraws(emu: BotApiEmulator, page: Page) -> None:
    await page.click("text=Patients")
    assert LABEL in await page.inner_text("#patients")
    user = emu.user(4471)
    (status,) = await say(user, "/sharing")
    assert "Check-in ratings and scores: yes" in (status.text or "")
    (done,) = await tap(user, "Stop sharing everything")
    assert "no longer sees anything new" in (done.text or "")
    await page.reload()
    assert "No patient shares" in await page.inner_text("#empty")
