"""/progress benchmark: a year of daily check-ins and biweekly questionnaires.

    .venv/bin/python benchmarks/progress.py [--runs 5]

One patient in a fresh SQLite file gets 365 daily check-ins, a PHQ-9 and a GAD-7 every
two weeks and a PEG every week, back-dated over the past year. Then /progress is answered
through the real service (read the rows, compute the figures and the words; the chart PNG
and the one-page PDF are drawn in the drawing process, ``bot.coach.progress.drawer``), both
processes pinned to one core, for the 4-week view and the 12-week button, and the pure
figures alone over the whole year (what the clinician portal would compute). Printed: the
median and worst CPU time (fair on a shared machine: the bot's process plus the drawing
process's own time for the drawing) and wall time of ``--runs`` warm runs (the first, cold
run, which starts the drawing process, imports matplotlib and loads its fonts, is printed
apart); the drawing process's peak resident memory, and the bot process's, which never
imports matplotlib. Targets: under 1 s, under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.coach.build import build_engine, build_library  # noqa: E402
from bot.coach.measures import questionnaires_of  # noqa: E402
from bot.coach.progress.drawer import DRAWER  # noqa: E402
from bot.coach.progress.figures import progress_figures  # noqa: E402
from bot.coach.service import CoachService  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import store  # noqa: E402
from bot.db.measures import MeasureRow, add_administration  # noqa: E402
from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import JournalEntry  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.flow.questionnaire import score_answers  # noqa: E402
from bot.shared.messages import Inbound  # noqa: E402

ZONE = "America/Chicago"
WHO = "bench-patient"


def _fill(connection, patient_id: int, engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    questionnaires = questionnaires_of(engine)
    now = datetime.now(UTC)
    checkins = []
    administrations = 0
    for n in range(365):
        at = now - timedelta(days=n, hours=2)
        checkins.append(
            {
                "patient_id": patient_id,
                "kind": "check_in",
                "flow_id": "checkin",
                "flow_version": 1,
                "data": {
                    "mood": (n * 7) % 11,
                    "anxiety": (n * 5) % 11,
                    "craving": (n * 3) % 11,
                    "sleep": (n * 2) % 11,
                    "pain": n % 11,
                    "kratom": ("none", "less", "usual", "more")[n % 4],
                    "skills": ["breathing", "urge_surfing"][: n % 3],
                    "note": None,
                },
                "created_at": at,
            }
        )
        for measure, every in (("phq9", 14), ("gad7", 14), ("peg", 7)):
            if n % every:
                continue
            q = questionnaires[measure]
            answers = {}
            for i, item in enumerate(q.items):
                if item.scale is not None:
                    answers[item.id] = (n + i) % 11
                else:
                    answers[item.id] = q.options_of(item)[(n + i) % 4].value
            score = score_answers(q, answers)
            add_administration(
                connection,
                patient_id=patient_id,
                row=MeasureRow(
                    q.measure,
                    q.version,
                    now - timedelta(days=n, hours=3),
                    total=score.total,
                    band=score.band,
                    answers=answers,
                    item_scores=dict(score.item_scores),
                    flags=score.flags,
                ),
            )
            administrations += 1
    connection.execute(insert(JournalEntry), checkins)
    return len(checkins), administrations


async def _timed(service: CoachService, event: Inbound) -> tuple[float, float, int]:
    """Wall time, CPU time (the fair figure on a shared machine: this process's and the
    drawing process's for the drawing), bytes."""
    start, cpu = time.perf_counter(), time.process_time()
    reply = await service.handle(WHO, event)
    elapsed = time.perf_counter() - start
    used = time.process_time() - cpu + DRAWER.last_cpu_seconds
    files = [m for m in reply.messages if m.attachment is not None]
    assert len(files) == 2, "the chart and the PDF"
    return elapsed, used, sum(len(m.attachment.data) for m in files if m.attachment)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    folder = tempfile.mkdtemp(prefix="coach-progress-bench-")
    url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
    settings = Settings(
        flows_dir=ROOT / "flows",
        content_dir=ROOT / "content",
        database_url=url,
        booking_url="https://example.org/book",
        default_timezone=ZONE,
    )
    library = build_library(settings)
    engine = build_engine(settings, library)
    database = Database(url)
    await upgrade_to_head(database)
    # As if the patient had said yes at /start (without it, nothing would be stored).
    service = CoachService(engine, database, "bench", default_timezone=ZONE, assume_consent=True)
    await service.handle(WHO, Inbound.message("/menu"))  # the patient's row
    patient = await database.transaction(
        lambda c: store.find_patient(c, channel="bench", external_id=WHO)
    )
    assert patient is not None
    counts = await database.transaction(lambda c: _fill(c, patient.id, engine))
    print(f"data: {counts[0]} daily check-ins, {counts[1]} questionnaires over 365 days")
    print(f"peak resident memory before the first /progress: {_peak_mb():.0f} MB")

    from bot.coach.progress.command import LONG_TOKEN

    for label, event in (
        ("/progress, 4 weeks", Inbound.message("/progress")),
        ("/progress, 12 weeks (button)", Inbound.press(LONG_TOKEN)),
    ):
        cold, cold_cpu, size = await _timed(service, event)
        print(f"  peak resident memory after the first {label}: {_peak_mb():.0f} MB")
        runs = [await _timed(service, event) for _ in range(args.runs)]
        times = [r[0] for r in runs]
        cpu = [r[1] for r in runs]
        print(
            f"{label}: CPU median {statistics.median(cpu) * 1000:.0f} ms, worst "
            f"{max(cpu) * 1000:.0f} ms; wall median {statistics.median(times) * 1000:.0f} ms, "
            f"worst {max(times) * 1000:.0f} ms over {args.runs} warm runs (first run: CPU "
            f"{cold_cpu * 1000:.0f} ms, wall {cold * 1000:.0f} ms); files {size / 1024:.0f} KiB; "
            f"drawing process peak {DRAWER.peak_mb:.0f} MB"
        )

    rows = await database.transaction(
        lambda c: __import__("bot.db.measures", fromlist=["administrations"]).administrations(
            c, patient_id=patient.id
        )
    )
    journal = await database.transaction(
        lambda c: store.journal_since(
            c,
            patient_id=patient.id,
            kinds=("check_in",),
            since=datetime.now(UTC) - timedelta(days=400),
        )
    )
    start = time.perf_counter()
    figures = progress_figures(
        measures=rows,
        journal=journal,
        questionnaires=questionnaires_of(engine),
        today=date.today(),
        days=365,
        zone=ZoneInfo(ZONE),
    )
    print(
        f"figures alone, 365 days ({figures.checkin_days} check-in days): "
        f"{(time.perf_counter() - start) * 1000:.1f} ms"
    )
    print(
        f"peak resident memory of the drawing process (chart and PDF): {DRAWER.peak_mb:.0f} MB "
        "(target < 150 MB)"
    )
    print(f"peak resident memory of the bot's process, which never draws: {_peak_mb():.0f} MB")
    print(f"matplotlib imported by the bot's process: {'matplotlib' in sys.modules}")
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
