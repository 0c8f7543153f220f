"""What encryption at rest costs: the engine benchmark's workload (conversations through a
10-step flow, every step committed to a real SQLite file) without a key and with one,
then ``rotate`` moving that database to a new key while nothing else runs.

Prints steps per second and p50/p99 step latency for each, and values re-encrypted per
second by the rotation.

Run:  .venv/bin/python benchmarks/encryption.py [--conversations 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.engine import STEPS, answer, write_flow  # noqa: E402
from bot.coach.encryption import rotate  # noqa: E402
from bot.coach.service import CoachService  # noqa: E402
from bot.db import keys  # noqa: E402
from bot.db.crypto import KeyRing, use_keys  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.flow.engine import Engine  # noqa: E402
from bot.flow.library import load_library  # noqa: E402


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


async def run(conversations: int, key: str | None) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-crypto-"))
    flows, content = write_flow(folder)
    library = load_library(flows, content)
    ring = KeyRing.from_keys(key)
    use_keys(ring)
    database = Database(f"sqlite+aiosqlite:///{folder}/bench.sqlite3")
    await upgrade_to_head(database)
    if ring.current_id is not None:
        await database.transaction(lambda c: keys.register_key(c, ring.current_id or ""))
    service = CoachService(Engine(library), database, "bench")
    latencies: list[float] = []
    gc.collect()
    started = time.perf_counter()
    for step in range(STEPS):
        for patient in range(conversations):
            t0 = time.perf_counter()
            await service.handle(str(patient), answer(step))
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    figures = {
        "steps_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(sorted(latencies)) * 1000,
        "p99_ms": sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000,
    }
    if key is not None:
        use_keys(KeyRing.from_keys(new_key(), [key]))
        t0 = time.perf_counter()
        report = await rotate(database, bot_stopped=True)
        took = time.perf_counter() - t0
        moved = sum(report.resealed.values())
        figures.update(resealed=moved, rotate_s=took, rotate_per_s=moved / took)
    await database.dispose()
    use_keys(KeyRing())
    shutil.rmtree(folder)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=500)
    args = parser.parse_args()
    plain = asyncio.run(run(args.conversations, None))
    sealed = asyncio.run(run(args.conversations, new_key()))
    for name, figures in (("no key (stored readable)", plain), ("DATA_ENCRYPTION_KEY set", sealed)):
        print(
            f"{name:26s} {args.conversations * STEPS} steps  {figures['steps_per_s']:7.0f} steps/s  "
            f"p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms"
        )
    print(f"encrypted/plain throughput: {sealed['steps_per_s'] / plain['steps_per_s']:.2f}x")
    print(
        f"rotate-key: {sealed['resealed']:.0f} values re-encrypted in {sealed['rotate_s']:.1f} s "
        f"({sealed['rotate_per_s']:.0f} values/s, batches of 500)"
    )


if __name__ == "__main__":
    main()
