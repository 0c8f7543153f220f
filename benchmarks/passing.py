"""Unconsented chats' places (bot.coach.passing) in a real SQLite file: size and cost.

Keeps ``CHATS`` chats mid-exercise (a frame with a few answers, a recent-risk reading),
as the engine leaves them, then times one event's share (a get and a keep in one
transaction) and an hourly prune of them all. Prints bytes per row on disk and the times.

    .venv/bin/python benchmarks/passing.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Connection  # noqa: E402

from bot.coach.passing import PassingConversations  # noqa: E402
from bot.db.crypto import SharedSecret  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import utcnow  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.shared.conversation import Frame, RecentRisk  # noqa: E402

CHATS = 10_000
ROUNDS = 2_000


def _mid_exercise(held: PassingConversations, connection: Connection, who: str) -> None:
    state = held.get(connection, "telegram", who)
    state.frames = [
        Frame("urge_surfing", 1, "locate", {"urge_before": 7, "body_spot": "a knot in my chest"})
    ]
    state.recent_risk = [RecentRisk(at=1.0e9, probability=0.02, category=None)]
    held.keep(connection, "telegram", who, state)


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-passing-"))
    path = folder / "bench.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade_to_head(database)
    held = PassingConversations(SharedSecret(b"123456:benchmark-token"))
    empty = path.stat().st_size

    def fill(connection: Connection) -> None:
        for n in range(CHATS):
            _mid_exercise(held, connection, str(100_000_000 + n))

    await database.transaction(fill)
    await database.checkpoint()
    per_row = (path.stat().st_size - empty) / CHATS
    took: list[float] = []
    for n in range(ROUNDS):
        who = str(100_000_000 + n % CHATS)
        started = time.perf_counter()
        await database.transaction(lambda c, who=who: _mid_exercise(held, c, who))
        took.append(time.perf_counter() - started)
    later = utcnow() + timedelta(hours=3)
    started = time.perf_counter()
    pruned = await database.transaction(lambda c: held.prune(c, now=later))
    prune_s = time.perf_counter() - started
    await database.dispose()
    print(
        f"{CHATS} chats kept: {per_row:.0f} bytes a chat on disk; one event's get + keep "
        f"(its own transaction) median {statistics.median(took) * 1000:.2f} ms; "
        f"prune of {pruned} idle rows {prune_s * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
