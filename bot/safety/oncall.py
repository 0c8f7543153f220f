"""On-call notices: tell the practice's on-call chat that a patient may be in crisis.

Only for patients who agreed at onboarding, and only when the practice set an on-call
chat. A notice names the patient (their chosen name) and the crisis category; it never
carries what the patient wrote. Two guards keep the on-call person from being flooded:
one notice per patient per quiet window (decided in the service's transaction, from the
stored safety events), and a per-process cap per minute whose overflow is summarised in
one message. Plain values only: no telegram, no sqlalchemy.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.shared.content import Content, render

__all__ = [
    "NOTICE_KEYS",
    "NoticeLimiter",
    "OncallNotice",
    "notice_due",
    "notice_text",
    "portal_notice_text",
    "portal_summary_text",
    "summary_text",
]

#: The texts the on-call chat gets; checked at start with the engine's own keys.
NOTICE_KEYS = (
    "system.oncall_notice",
    "system.oncall_no_name",
    "system.oncall_summary",
    "system.oncall_portal_notice",
    "system.oncall_portal_summary",
)
#: Patients listed by name in one summary; beyond this only the count is given.
SUMMARY_NAMES = 20
WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class OncallNotice:
    """A notice due for one detection: who (id and chosen name) and what kind, never the text."""

    patient_id: int
    name: str | None
    category: str


def notice_due(
    *,
    configured: bool,
    consented: bool,
    previous_event_at: datetime | None,
    now: datetime,
    quiet: timedelta,
) -> bool:
    """Whether this detection gets a notice: on-call set, patient agreed, and not a repeat.

    ``previous_event_at`` is the patient's latest stored safety event before this one; a
    detection inside the quiet window after it was already notified (or was itself a
    repeat), so the on-call person hears once per episode, not once per message.
    """
    if not configured or not consented:
        return False
    return previous_event_at is None or now - previous_event_at >= quiet


def notice_text(content: Content, notice: OncallNotice) -> str:
    """The notice as Telegram HTML; the patient's name is escaped like any saved answer."""
    name = notice.name.strip() if notice.name else ""
    return render(
        content.get("system.oncall_notice"),
        {
            "name": name or content.get("system.oncall_no_name"),
            "patient": notice.patient_id,
            "category": _label(notice.category),
        },
    )


def summary_text(content: Content, held: Sequence[OncallNotice]) -> str:
    """One message for the notices the per-minute cap held back: names, then "and K more"."""
    head = render(content.get("system.oncall_summary"), {"count": len(held)})
    no_name = content.get("system.oncall_no_name")
    lines = [
        render(
            "• {name}: {category}",
            {"name": (n.name or "").strip() or no_name, "category": _label(n.category)},
        )
        for n in held[:SUMMARY_NAMES]
    ]
    if len(held) > SUMMARY_NAMES:
        lines.append(f"… +{len(held) - SUMMARY_NAMES}")
    return "\n".join([head, *lines])


def portal_notice_text(content: Content, link: str) -> str:
    """With the clinician portal: only that an alert is waiting, and where (no name, no kind)."""
    return render(content.get("system.oncall_portal_notice"), {"link": link})


def portal_summary_text(content: Content, count: int, link: str) -> str:
    return render(content.get("system.oncall_portal_summary"), {"count": count, "link": link})


def _label(category: str) -> str:
    return category.replace("_", " ")


class NoticeLimiter:
    """At most ``per_minute`` notices in any rolling minute; the rest wait for one summary.

    ``admit`` says whether a notice may go now. ``hold`` keeps one that may not, and
    ``take_held`` hands them all over (for the summary) once ``wait`` has passed.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sent: deque[float] = deque()
        self._held: list[OncallNotice] = []

    def admit(self) -> bool:
        now = self._clock()
        self._expire(now)
        if len(self._sent) < self.per_minute and not self._held:
            self._sent.append(now)
            return True
        return False

    def hold(self, notice: OncallNotice) -> bool:
        """Keep ``notice`` for the summary; True when it is the first held (start a timer)."""
        self._held.append(notice)
        return len(self._held) == 1

    def wait(self) -> float:
        """Seconds until the oldest send leaves the window (when a summary may go)."""
        now = self._clock()
        self._expire(now)
        return max(0.0, self._sent[0] + WINDOW_SECONDS - now) if self._sent else 0.0

    def take_held(self) -> list[OncallNotice]:
        """The held notices, emptied; the summary counts as one send in the window."""
        held, self._held = self._held, []
        if held:
            self._sent.append(self._clock())
        return held

    @property
    def held(self) -> int:
        return len(self._held)

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
            self._sent.popleft()
