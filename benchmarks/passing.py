"""Memory of the unconsented chats held in memory (bot.coach.passing) at its limit.

Each of ``LIMIT`` chats is held mid-exercise (a frame with a few answers, a recent-risk
reading), as the engine leaves it; prints the bytes per chat and in all, and how long a
get-and-keep (one event's share) takes.

    .venv/bin/python benchmarks/passing.py
"""

from __future__ import annotations

import time
import tracemalloc

from bot.coach.passing import LIMIT, PassingConversations
from bot.shared.conversation import Frame, RecentRisk


def main() -> None:
    held = PassingConversations()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(LIMIT):
        state = held.get(str(100_000_000 + n))
        state.frames = [
            Frame(
                "urge_surfing", 1, "locate", {"urge_before": 7, "body_spot": "a knot in my chest"}
            )
        ]
        state.recent_risk = [RecentRisk(at=1.0e9 + n, probability=0.02, category=None)]
        held.keep(str(100_000_000 + n), state)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    started = time.perf_counter()
    rounds = 100_000
    for n in range(rounds):
        who = str(100_000_000 + n % LIMIT)
        held.keep(who, held.get(who))
    took = (time.perf_counter() - started) / rounds
    print(
        f"{len(held)} chats held: {used / 1e6:.1f} MB, {used / LIMIT:.0f} bytes per chat; "
        f"get + keep {took * 1e6:.1f} µs"
    )


if __name__ == "__main__":
    main()
