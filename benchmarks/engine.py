"""Engine throughput: 1,000 conversations interleaved through a 10-step flow, every step
committed to a real SQLite file (WAL). Prints steps per second, p50/p99 step latency and
peak memory (the process's peak RSS), then the same workload with a new `transitions` Machine built per step (the
naive baseline), so the ratio shows what sharing one machine per flow buys.

Run:  .venv/bin/python benchmarks/engine.py [--conversations 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import bot.flow.engine.runner as engine_module
from bot.coach.service import CoachService
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database
from bot.flow.engine import Engine
from bot.flow.library import load_library
from bot.flow.machine import advance, build_machine
from bot.shared.messages import Inbound

ROOT = Path(__file__).resolve().parent.parent
STEPS = 10


def write_flow(folder: Path) -> tuple[Path, Path]:
    """A 10-step flow: 9 questions of mixed kinds and an end that records a journal entry."""
    flows, content = folder / "flows", folder / "content"
    flows.mkdir()
    content.mkdir()
    shutil.copy(ROOT / "content" / "system.yaml", content / "system.yaml")
    (content / "bench.yaml").write_text("q: 'Question {n}?'\nbye: 'Done, {a1}.'\n")
    steps = []
    for i in range(1, STEPS):
        kind = "scale" if i % 3 == 0 else "text"
        nxt = f"s{i + 1}" if i < STEPS - 1 else "end"
        if kind == "scale":
            branch = f"\n    next:\n      - when: a{i} >= 8\n        go: {nxt}\n      - go: {nxt}"
        else:
            branch = f"\n    next: {nxt}"
        steps.append(f"  s{i}:\n    text: 'Question {i}?'\n    ask: {kind}\n    save: a{i}{branch}")
    fields = ", ".join(f"a{i}" for i in range(1, STEPS))
    steps.append(
        f"  end:\n    say: bench.bye\n    record: {{kind: bench, fields: [{fields}]}}\n    end: true"
    )
    (flows / "bench.yaml").write_text(
        "id: bench\ntitle: Bench\ndescription: Benchmark flow.\nversion: 1\nstart: {command: bench}\nsteps:\n"
        + "\n".join(steps)
        + "\n"
    )
    return flows, content


def answer(step: int) -> Inbound:
    if step == 0:
        return Inbound.message("/bench")
    return Inbound.message("7" if step % 3 == 0 else f"answer number {step}")


async def run(conversations: int, naive: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    flows, content = write_flow(folder)
    library = load_library(flows, content)
    assert not library.problems, library.problems
    original = engine_module.advance
    if naive:

        def advance_with_new_machine(machine, step, variables, choice):  # type: ignore[no-untyped-def]
            compiled = library.flows["bench"]
            fresh = build_machine(compiled.flow, compiled.facts.conditions)
            return advance(fresh, step, variables, choice)

        engine_module.advance = advance_with_new_machine  # type: ignore[assignment]
    database = Database(f"sqlite+aiosqlite:///{folder}/bench.sqlite3")
    await upgrade_to_head(database)
    service = CoachService(Engine(library), database, "bench")
    latencies: list[float] = []
    gc.collect()
    started = time.perf_counter()
    try:
        for step in range(STEPS):
            for patient in range(conversations):
                t0 = time.perf_counter()
                await service.handle(str(patient), answer(step))
                latencies.append(time.perf_counter() - t0)
    finally:
        engine_module.advance = original
    elapsed = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await database.dispose()
    shutil.rmtree(folder)
    latencies.sort()
    return {
        "steps": len(latencies),
        "steps_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "peak_rss_mb": peak_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    args = parser.parse_args()
    shared = asyncio.run(run(args.conversations, naive=False))
    naive = asyncio.run(run(args.conversations, naive=True))
    for name, figures in (
        ("shared machine per flow", shared),
        ("new Machine per step (naive)", naive),
    ):
        print(
            f"{name:30s} {figures['steps']:.0f} steps  {figures['steps_per_s']:8.0f} steps/s  "
            f"p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  "
            f"peak RSS {figures['peak_rss_mb']:.0f} MB"
        )
    print(f"shared/naive throughput ratio: {shared['steps_per_s'] / naive['steps_per_s']:.2f}x")


if __name__ == "__main__":
    main()
