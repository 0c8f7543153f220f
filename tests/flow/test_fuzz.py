"""Fuzz: thousands of randomly damaged flows; `coach validate` never crashes and every
problem it reports has a file and a line.

Worker processes run the mutants through ``load_library`` (what `coach validate` calls), with the
content read once to keep this fast; a few mutants also go through the real
`coach validate` in a subprocess. FUZZ_MUTATIONS raises the count for a longer run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bot.flow.library as library_module
from bot.flow.library import load_library
from bot.shared.content import load_content
from tests.flow.fuzz_mutations import mutate

ROOT = Path(__file__).resolve().parents[2]
MUTATIONS = int(os.environ.get("FUZZ_MUTATIONS", "2000"))
SHOWN = re.compile(r"^.+:\d+: \S")


def _flows() -> list[Path]:
    return sorted((ROOT / "flows").glob("*.yaml"))


def _fuzz_slice(job: tuple[int, int, str]) -> tuple[list[str], int]:
    """``count`` mutations from ``seed`` in ``folder``: what went wrong, and how many were reported."""
    seed, count, folder = job
    root = Path(folder)
    content = load_content(ROOT / "content", ROOT)  # read once: the flows are what is fuzzed
    library_module.load_content = lambda *_: content  # type: ignore[assignment]  # own process
    originals = {p.name: p.read_text(encoding="utf-8") for p in _flows()}
    target = root / "flows" / "mutant.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    failures: list[str] = []
    reported = 0
    for n in range(count):
        name = rng.choice(sorted(originals))
        text, done = mutate(originals[name], rng)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        where = f"seed {seed} mutation {n} of {name} ({', '.join(done)})"
        try:
            library = load_library(root / "flows", ROOT / "content", root=root, files=[target])
        except Exception as exc:  # the whole point: this must never happen
            failures.append(
                f"{where} crashed validation: {type(exc).__name__}: {exc}\n---\n{text[:2000]}"
            )
            continue
        line_count = text.count("\n") + 1
        for problem in library.problems:
            if not (
                problem.file == "flows/mutant.yaml"
                and isinstance(problem.line, int)
                and 1 <= problem.line <= line_count
                and SHOWN.match(str(problem))
            ):
                failures.append(f"{where}: {problem!r}")
        reported += bool(library.problems)
    return failures, reported


def test_validation_never_crashes_and_always_names_file_and_line(tmp_path: Path) -> None:
    workers = max(1, min(4, os.cpu_count() or 1))
    jobs = [
        (20261125 + i, MUTATIONS // workers + (i < MUTATIONS % workers), str(tmp_path / f"w{i}"))
        for i in range(workers)
    ]
    started = time.perf_counter()
    # Fresh ("spawn") worker processes, one core each: nothing of this process is inherited.
    with mp.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_fuzz_slice, jobs)
    elapsed = time.perf_counter() - started
    failures = [f for found, _ in results for f in found]
    reported = sum(count for _, count in results)
    print(
        f"\nfuzz: {MUTATIONS} mutations in {workers} process(es), {reported} reported problems, {elapsed:.1f}s"
    )
    assert not failures, "\n\n".join(failures[:5])
    assert reported > MUTATIONS * 0.5  # the mutations really do damage


def test_coach_validate_on_mutants_prints_file_and_line(tmp_path: Path) -> None:
    rng = random.Random(7)
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"}
    for n in range(3):
        copy = tmp_path / f"copy{n}"
        shutil.copytree(ROOT / "flows", copy / "flows")
        shutil.copytree(ROOT / "content", copy / "content")
        damaged = rng.sample(sorted((copy / "flows").glob("*.yaml")), 3)
        damaged.append(rng.choice(sorted((copy / "content").glob("*.yaml"))))  # texts too
        for path in damaged:
            text, _ = mutate(path.read_text(encoding="utf-8"), rng)
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        done = subprocess.run(
            [sys.executable, "-m", "bot", "validate"],
            cwd=copy,
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1), done.stderr
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        if done.returncode == 1:
            assert lines and all(SHOWN.match(line) for line in lines), done.stdout
