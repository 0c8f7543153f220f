"""`coach test-flows --changed`: the tests of what changed since the last commit, no more."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.authoring.changed import select_changed_tests
from bot.flow.library import load_library

ROOT = Path(__file__).resolve().parents[2]


def _coach(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FLOWS_DIR": "flows",
        "CONTENT_DIR": "content",
        "DATABASE_URL": f"sqlite+aiosqlite:///{cwd}/x.sqlite3",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "practice"
    shutil.copytree(ROOT / "flows", repo / "flows")
    shutil.copytree(ROOT / "content", repo / "content")
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=repo, check=True)
    return repo


def test_a_content_file_selects_the_flows_using_it_and_their_callers() -> None:
    library = load_library(ROOT / "flows", ROOT / "content", root=ROOT)
    found = select_changed_tests(
        library, ROOT / "flows", ROOT / "content", [ROOT / "content" / "example.yaml"]
    )
    assert found.flows == ["example", "example_breath"]
    assert [p.name for p in found.files] == ["example.yaml"]
    called = select_changed_tests(
        library, ROOT / "flows", ROOT / "content", [ROOT / "flows" / "example_breath.yaml"]
    )
    assert "example" in called.flows  # example calls example_breath: its tests walk through it
    everything = select_changed_tests(
        library, ROOT / "flows", ROOT / "content", [ROOT / "content" / "system.yaml"]
    )
    assert set(everything.flows) == set(library.flows)


def test_changed_runs_only_the_changed_flows_tests(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    nothing = _coach(repo, "test-flows", "--changed")
    assert nothing.returncode == 0 and "Nothing changed" in nothing.stdout, nothing.stderr

    path = repo / "content" / "trigger.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + '\nextra_note: "A new text"\n', encoding="utf-8"
    )
    done = _coach(repo, "test-flows", "--changed")
    assert done.returncode == 0, done.stdout + done.stderr
    ran = {
        line.split()[1].rstrip(":")
        for line in done.stdout.splitlines()
        if line.startswith(("ok", "FAIL"))
    }
    assert ran == {"trigger", "learn"}, done.stdout  # learn starts trigger
    assert "Changed: content/trigger.yaml" in done.stdout


def test_changed_outside_git_says_what_to_do_instead(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    done = _coach(tmp_path, "test-flows", "--changed")
    assert done.returncode == 2
    assert "Run `coach test-flows`" in done.stderr
