"""On-call notices as pure rules: when one is due, what it says, and the per-minute cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.flow.library import FlowLibrary
from bot.safety.oncall import NoticeLimiter, OncallNotice, notice_due, notice_text, summary_text

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUIET = timedelta(minutes=15)


def due(**overrides: object) -> bool:
    args: dict[str, object] = {
        "configured": True,
        "consented": True,
        "previous_event_at": None,
        "now": NOW,
        "quiet": QUIET,
    }
    args.update(overrides)
    return notice_due(**args)  # type: ignore[arg-type]


def test_due_only_when_configured_consented_and_not_a_repeat() -> None:
    assert due()
    assert not due(configured=False)
    assert not due(consented=False)
    assert not due(previous_event_at=NOW - timedelta(minutes=1))
    assert not due(previous_event_at=NOW - timedelta(minutes=14, seconds=59))
    assert due(previous_event_at=NOW - QUIET)
    assert due(previous_event_at=NOW - timedelta(hours=3))


def test_notice_names_the_patient_and_category_escaped(library: FlowLibrary) -> None:
    text = notice_text(library.content, OncallNotice(7, "Sam <b>&", "self_harm"))
    assert "Sam &lt;b&gt;&amp;" in text
    assert "self harm" in text and "no. 7" in text
    unnamed = notice_text(library.content, OncallNotice(8, "  ", "overdose"))
    assert library.content.get("system.oncall_no_name") in unnamed


def test_summary_lists_names_then_a_count(library: FlowLibrary) -> None:
    held = [OncallNotice(i, f"P{i}", "suicide") for i in range(25)]
    text = summary_text(library.content, held)
    assert "25 more" in text
    assert "• P0: suicide" in text and "• P19: suicide" in text and "P20" not in text
    assert text.endswith("… +5")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_admits_n_a_minute_then_holds_for_one_summary() -> None:
    clock = Clock()
    limiter = NoticeLimiter(3, clock=clock)
    assert [limiter.admit() for _ in range(3)] == [True, True, True]
    assert not limiter.admit()
    assert limiter.hold(OncallNotice(1, "A", "abuse")) is True  # the first held starts the timer
    clock.now += 10
    assert not limiter.admit()
    assert limiter.hold(OncallNotice(2, "B", "abuse")) is False
    assert limiter.wait() == 50.0
    clock.now += 50
    assert [n.patient_id for n in limiter.take_held()] == [1, 2]
    assert limiter.held == 0
    # The summary counted as one send: two more fit in this minute.
    assert [limiter.admit() for _ in range(3)] == [True, True, False]


def test_limiter_holds_while_a_summary_is_waiting_so_order_is_kept() -> None:
    clock = Clock()
    limiter = NoticeLimiter(1, clock=clock)
    assert limiter.admit()
    assert not limiter.admit()
    limiter.hold(OncallNotice(1, None, "overdose"))
    clock.now += 61  # the window is free again, but the held one goes first, in the summary
    assert not limiter.admit()
