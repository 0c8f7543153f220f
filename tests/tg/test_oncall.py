"""The on-call sender: a burst becomes N notices and one summary; failures stay quiet."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.flow.library import FlowLibrary
from bot.safety.oncall import NoticeLimiter, OncallNotice
from bot.shared.messages import OutboundMessage
from bot.tg.oncall import OncallAlerts

CHAT = -100999


class FakeSender:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[int, str]] = []
        self.fail = fail

    async def send(self, chat_id: int, message: OutboundMessage) -> list[object]:
        if self.fail:
            raise RuntimeError("telegram is down")
        self.sent.append((chat_id, message.text))
        return []


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_is_capped_and_the_rest_summarised_once(tg_library: FlowLibrary) -> None:
    sender, clock = FakeSender(), Clock()
    alerts = OncallAlerts(sender, CHAT, lambda: tg_library.content, NoticeLimiter(2, clock=clock))  # type: ignore[arg-type]
    for i in range(6):
        alerts.notify(OncallNotice(i, f"Patient{i}", "overdose"))
    clock.now += 60  # the minute passes before the summary task looks at the clock
    await asyncio.wait_for(_until(lambda: len(sender.sent) == 3), 2)
    texts = [t for _, t in sender.sent]
    assert "Patient0" in texts[0] and "Patient1" in texts[1]
    assert "4 more" in texts[2] and all(f"Patient{i}" in texts[2] for i in range(2, 6))
    assert {c for c, _ in sender.sent} == {CHAT}
    await alerts.close()
    assert len(sender.sent) == 3


async def test_close_sends_what_is_still_held(tg_library: FlowLibrary) -> None:
    sender = FakeSender()
    alerts = OncallAlerts(sender, CHAT, lambda: tg_library.content, NoticeLimiter(1))  # type: ignore[arg-type]
    alerts.notify(OncallNotice(1, "A", "abuse"))
    alerts.notify(OncallNotice(2, "B", "abuse"))
    await alerts.close()  # the summary would wait a minute; at shutdown it goes now
    assert len(sender.sent) == 2 and "1 more" in sender.sent[1][1]


async def test_a_failed_notice_is_logged_without_the_name(
    tg_library: FlowLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = OncallAlerts(FakeSender(fail=True), CHAT, lambda: tg_library.content, NoticeLimiter(5))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO):
        alerts.notify(OncallNotice(42, "Secretname", "suicide"))
        await alerts.close()
    assert "oncall notice failed category=suicide" in caplog.text
    assert "patient=42" not in caplog.text  # nor the patient beside the kind of help
    assert "Secretname" not in caplog.text


async def _until(check: object) -> None:
    while not check():  # type: ignore[operator]
        await asyncio.sleep(0.01)


async def test_with_the_portal_a_notice_says_only_that_an_alert_is_waiting(
    tg_library: FlowLibrary,
) -> None:
    sender = FakeSender()
    link = "https://portal.example.org/alerts"
    alerts = OncallAlerts(
        sender,  # type: ignore[arg-type]
        CHAT,
        lambda: tg_library.content,
        NoticeLimiter(1),
        portal_link=link,
    )
    alerts.notify(OncallNotice(7, "Secretname", "suicide"))
    alerts.notify(OncallNotice(8, "Othername", "overdose"))
    await alerts.close()
    texts = [t for _, t in sender.sent]
    assert texts == [
        f"An alert is waiting in the practice portal: {link}",
        f"More alerts are waiting in the practice portal (1 more): {link}",
    ]
    assert not any(word in " ".join(texts) for word in ("Secretname", "Othername", "suicide", "7"))
