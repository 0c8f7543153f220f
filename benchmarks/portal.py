"""Portal render times: the patient list with 2,000 sharing patients, and one patient's page
with a year of data, each fetched over HTTP from the real portal (uvicorn) on a SQLite file,
pinned to one core. Target: under 200 ms each. Prints the median and the slowest of the runs,
and the CPU time of each (the wall clock of a shared machine counts others' work too); the
chart's PDF too (no target: a download drawn in a worker thread).

The data: 2,000 patients who share, each with 30 daily check-ins (60,000 check-ins) and a
PHQ-9, GAD-7 and PEG every month of a year (72,000 administrations), one open alert for
every tenth; the page's patient has 365 daily check-ins, 200 journal entries and 24 safety
events. As a practice runs it: the rows sealed with a data key (AES-256-GCM, as with
DATA_ENCRYPTION_KEY), the scores read by the portal's own StoredScores.

Run:  .venv/bin/python benchmarks/portal.py [--patients 2000] [--runs 20] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import os
import pstats
import random
import re
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
from bot.db.crypto import KeyRing, use_keys  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import (  # noqa: E402
    Alert,
    Invitation,
    JournalEntry,
    MeasureAdministration,
    Patient,
    SafetyEventRow,
    Share,
)
from bot.db.session import Database  # noqa: E402
from bot.portal.app import build_portal  # noqa: E402
from bot.portal.scores import StoredScores, questionnaire_names  # noqa: E402
from tests.portal.helpers import codes, ready_clinician, serving, sign_in  # noqa: E402

TARGET_MS = 200.0
#: The measures given every month, with a total's range and its bands (low edge, name).
MEASURES = {
    "phq9": (27, [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe")]),
    "gad7": (21, [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")]),
    "peg": (10, [(0, None)]),
}


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

    def administration(patient_id: int, measure: str, month: int) -> dict[str, object]:
        top, bands = MEASURES[measure]
        total = rng.randint(0, top)
        band = [name for low, name in bands if total >= low][-1]
        return {
            "patient_id": patient_id,
            "measure": measure,
            "version": "1",
            "answers": {},
            "item_scores": {},
            "total": float(total),
            "band": band,
            "positive": None,
            "flags": [],
            "missing": [],
            "skipped": False,
            "delivered": "asked",
            "taken_at": now - timedelta(days=30 * month, hours=rng.random()),
        }

    given = [
        administration(p, m, month)
        for p in range(1, patients + 1)
        for m in MEASURES
        for month in range(12)
    ]
    for start in range(0, len(given), 5000):
        connection.execute(insert(MeasureAdministration), given[start : start + 5000])
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


async def timed(
    client: httpx.AsyncClient, url: str, runs: int, profiler: cProfile.Profile | None
) -> tuple[list[float], list[float]]:
    """Each run's wall-clock time and the CPU time the process spent in it (server,
    database thread and client together), in ms. On a shared machine the wall clock also
    counts other programs' turns on the core; the CPU time is this request's work alone."""
    await client.get(url)  # warm: templates compiled, statements cached
    times, cpu = [], []
    for _ in range(runs):
        if profiler is not None:
            profiler.enable()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = await client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if profiler is not None:
            profiler.disable()
        assert response.status_code == 200, response.status_code
    return times, cpu


def check_list(html: str, patients: int) -> None:
    """The list shows what it must, so a faster list cannot be one that shows less: every
    patient's row, a mood and craving rating for each (opened from the sealed check-ins),
    and the three measures' latest scores."""
    rows = html.count('<tr><td><a href="/patients/')
    rated = len(re.findall(r"<td>\d+/10( [↑↓→])?</td>", html))
    scored = html.count("PEG ")
    assert rows == patients, f"{rows} rows for {patients} patients"
    assert rated == 2 * patients, f"{rated} ratings shown for {patients} patients"
    assert scored == patients, f"{scored} latest PEG scores for {patients} patients"


async def run(patients: int, runs: int, profile: bool) -> None:
    use_keys(KeyRing.from_keys(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'portal.sqlite3'}"
        database = Database(url)
        await upgrade_to_head(database)
        started = time.perf_counter()
        share = await database.transaction(lambda c: fill(c, patients))
        await database.checkpoint()  # as a running practice's: its -wal stays small
        print(f"data written in {time.perf_counter() - started:.1f} s")
        secret = await ready_clinician(database, "bench@practice.org")
        settings = Settings()
        scores = StoredScores(questionnaire_names(settings.flows_dir))
        app = build_portal(  # as coach portal builds it
            settings, database, scores=scores, sweep_every=None, freeze_heap=True
        )
        async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
            assert (
                await sign_in(client, "bench@practice.org", codes(secret)[0])
            ).status_code == 303
            check_list((await client.get("/patients")).text, patients)
            for label, path in (
                (f"patient list, {patients} sharing patients", "/patients"),
                ("patient page, a year of data", f"/patients/{share}"),
                ("chart PDF, a year of data", f"/patients/{share}/chart.pdf"),
            ):
                profiler = cProfile.Profile() if profile else None
                times, cpu = await timed(client, path, runs, profiler)
                size = len((await client.get(path)).content) // 1024
                median, worst = statistics.median(times), max(times)
                verdict = "meets" if median < TARGET_MS else "MISSES"
                target = f"; {verdict} the {TARGET_MS:.0f} ms target" if "PDF" not in label else ""
                print(
                    f"{label:36s} median {median:6.1f} ms  slowest {worst:6.1f} ms  "
                    f"CPU {statistics.median(cpu):6.1f} ms  ({size} KiB, {runs} runs{target})"
                )
                if profiler is not None:
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    asyncio.run(run(args.patients, args.runs, args.profile))
    if hasattr(os, "getloadavg"):  # the wall clock is only as good as the machine is idle
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
