"""`coach test-flows` with a flow that does not exist: one sentence, a failing status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_test_flows_with_an_unknown_flow_says_so_and_fails() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "test-flows", "onboardng"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith('There is no flow "onboardng" to test. The flows are: ')
    assert "onboarding" in done.stderr
    assert "passed" not in done.stdout  # nothing ran as if it had passed
