"""How many times is one patient message read by the crisis screen, and what does it cost?

Run: ``.venv/bin/python benchmarks/screen_per_event.py [--events 600]``

Ordinary messages (the ``neg`` lines of the evaluation set, each made unique by a final
word) go through ``CoachService.handle`` with the shipped flows, the real crisis screen and
a SQLite file, as the bot runs them; then the same messages as edited messages
(``crisis_in_edit``). Reading a text (the phrase scan and the learned layer) is counted and
timed where it happens, in ``CrisisDetector.hits`` and ``LearnedLayer.predict``.
Prints reads per event, the time those reads take per event, and the p50/p99 of a whole
event.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.coach.screening import CrisisScreener  # noqa: E402
from bot.coach.service import CoachService  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.flow.engine import Engine  # noqa: E402
from bot.flow.library import load_library  # noqa: E402
from bot.safety.detector import CrisisDetector  # noqa: E402
from bot.safety.learned import LearnedLayer  # noqa: E402
from bot.shared.messages import Inbound  # noqa: E402

EVAL_FILE = ROOT / "data" / "safety" / "corpus" / "eval_set.tsv"


class Meter:
    """Counts and times every call of the functions that read a text."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0

    def wrap(self, owner: type, name: str) -> Callable[[], None]:
        original = getattr(owner, name)

        def measured(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        setattr(owner, name, measured)
        return lambda: setattr(owner, name, original)

    def reset(self) -> None:
        self.calls, self.seconds = 0, 0.0


def messages(count: int) -> list[str]:
    rows = [line.split("\t", 2) for line in EVAL_FILE.read_text(encoding="utf-8").splitlines()]
    plain = [r[2] for r in rows if len(r) == 3 and r[0] == "neg"]
    return [f"{plain[i % len(plain)]} n{i}" for i in range(count)]


async def run(events: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="coach-screen-bench-"))
    library = load_library(ROOT / "flows", ROOT / "content")
    screener = CrisisScreener.from_content(ROOT / "content", "https://example.org/book")
    database = Database(f"sqlite+aiosqlite:///{folder}/bench.sqlite3")
    await upgrade_to_head(database)
    service = CoachService(Engine(library, screener=screener), database, "bench")
    service.assume_consent = True
    meter, decisions = Meter(), Meter()
    undo = [
        meter.wrap(CrisisDetector, "hits"),
        meter.wrap(LearnedLayer, "predict"),
        # What the engine asks of the screener per event: decisions (``screen`` before
        # the reading was passed down, ``decide`` since).
        decisions.wrap(CrisisScreener, "decide" if hasattr(CrisisScreener, "decide") else "screen"),
    ]
    texts = messages(events)
    try:
        latencies = []
        for i, text in enumerate(texts):
            start = time.perf_counter()
            await service.handle(str(i % 50), Inbound.message(text))
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        per_event = meter.calls / len(texts) / 2
        print(
            f"message  {len(texts)} events  reads/event={per_event:.2f}  "
            f"decisions/event={decisions.calls / len(texts):.2f}  "
            f"reading={meter.seconds / len(texts) * 1e6:7.1f} us/event  "
            f"p50={statistics.median(latencies) * 1e3:.2f} ms  "
            f"p99={latencies[int(len(latencies) * 0.99) - 1] * 1e3:.2f} ms"
        )
        meter.reset()
        decisions.reset()
        start = time.perf_counter()
        for text in texts:
            service.crisis_in_edit(f"{text} e")
        elapsed = time.perf_counter() - start
        print(
            f"edit     {len(texts)} events  reads/event={meter.calls / len(texts) / 2:.2f}  "
            f"decisions/event={decisions.calls / len(texts):.2f}  "
            f"reading={meter.seconds / len(texts) * 1e6:7.1f} us/event  "
            f"mean={elapsed / len(texts) * 1e6:.1f} us"
        )
    finally:
        for restore in undo:
            restore()
        await service.close()
        await database.dispose()
        shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(run(args.events))


if __name__ == "__main__":
    main()
