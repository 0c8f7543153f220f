"""Portal render times: the patient list with 2,000 sharing patients, and one patient's page
with a year of data, each fetched over HTTP from the real portal (uvicorn) on a SQLite file,
pinned to one core. Target: under 200 ms each. Prints the median and the slowest of the runs.

The data: 2,000 patients who share, each with 30 daily check-ins (60,000 check-ins), one open
alert for every tenth; the page's patient has 365 daily check-ins, 200 journal entries and
24 safety events.

Run:  .venv/bin/python benchmarks/portal.py [--patients 2000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import Alert, Invitation, JournalEntry, Patient, SafetyEventRow, Share  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.portal.app import build_portal  # noqa: E402
from tests.portal.helpers import codes, ready_clinician, serving, sign_in  # noqa: E402

TARGET_MS = 200.0


def fill(connection: Connection, patients: int) -> int:
    """Write the patients, their shares and their data; the page patient's share id."""
    now = datetime.now(UTC)
    rng = random.Random(7)
    connection.execute(
        insert(Patient),
        [
            {
                "channel": "telegram",
                "external_id": str(100000 + i),
                "display_name": f"P{i}",
                "consent": True,
                "created_at": now,
            }
            for i in range(patients)
        ],
    )
    connection.execute(
        insert(Invitation),
        [
            {
                "code_hash": f"{i:064d}",
                "label": f"Record {5000 + i}",
                "created_at": now,
                "expires_at": now,
                "used_at": now,
            }
            for i in range(patients)
        ],
    )
    connection.execute(
        insert(Share),
        [
            {
                "patient_id": i + 1,
                "invitation_id": i + 1,
                "scores": True,
                "crisis": True,
                "journal": i == 0,
                "started_at": now - timedelta(days=400),
            }
            for i in range(patients)
        ],
    )

    def check_in(patient_id: int, days_ago: int) -> dict[str, object]:
        return {
            "patient_id": patient_id,
            "kind": "check_in",
            "flow_id": "checkin",
            "flow_version": 1,
            "data": {
                "mood": rng.randint(0, 10),
                "anxiety": rng.randint(0, 10),
                "craving": rng.randint(0, 10),
                "sleep": rng.randint(0, 10),
                "pain": rng.randint(0, 10),
                "kratom": rng.choice(["none", "less", "usual", "more"]),
                "skills": rng.sample(["breathing", "urge_surfing", "stop", "tipp"], 2),
                "note": "a short note about the day",
            },
            "created_at": now - timedelta(days=days_ago, hours=rng.random()),
        }

    rows = [check_in(p, d) for p in range(2, patients + 1) for d in range(30)]
    rows += [check_in(1, d) for d in range(365)]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(JournalEntry), rows[start : start + 5000])
    connection.execute(
        insert(JournalEntry),
        [
            {
                "patient_id": 1,
                "kind": "thought_record",
                "flow_id": "reframe",
                "flow_version": 1,
                "data": {"situation": "work", "thought": "I always fail", "balanced": "not always"},
                "created_at": now - timedelta(days=d * 1.8),
            }
            for d in range(200)
        ],
    )
    connection.execute(
        insert(SafetyEventRow),
        [
            {
                "patient_id": 1,
                "category": "suicide",
                "rule_id": "suicide.test",
                "created_at": now - timedelta(days=d * 15),
            }
            for d in range(24)
        ],
    )
    connection.execute(
        insert(Alert),
        [
            {
                "share_id": s,
                "kind": "crisis",
                "detail": "suicide",
                "status": "new",
                "created_at": now,
            }
            for s in range(1, patients + 1, 10)
        ],
    )
    return 1


async def timed(client: httpx.AsyncClient, url: str, runs: int) -> list[float]:
    await client.get(url)  # warm: templates compiled, statements cached
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


async def run(patients: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'portal.sqlite3'}"
        database = Database(url)
        await upgrade_to_head(database)
        started = time.perf_counter()
        share = await database.transaction(lambda c: fill(c, patients))
        print(f"data written in {time.perf_counter() - started:.1f} s")
        secret = await ready_clinician(database, "bench@practice.org")
        app = build_portal(Settings(), database, sweep_every=None)
        async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
            assert (
                await sign_in(client, "bench@practice.org", codes(secret)[0])
            ).status_code == 303
            for label, path in (
                (f"patient list, {patients} sharing patients", "/patients"),
                ("patient page, a year of data", f"/patients/{share}"),
            ):
                times = await timed(client, path, runs)
                size = len((await client.get(path)).content) // 1024
                median, worst = statistics.median(times), max(times)
                verdict = "meets" if median < TARGET_MS else "MISSES"
                print(
                    f"{label:42s} median {median:6.1f} ms  slowest {worst:6.1f} ms  "
                    f"({size} KiB, {runs} runs; {verdict} the {TARGET_MS:.0f} ms target)"
                )
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    asyncio.run(run(args.patients, args.runs))


if __name__ == "__main__":
    main()
