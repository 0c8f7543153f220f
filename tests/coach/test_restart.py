"""A conversation survives `kill -9` of the process in the middle of a flow."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--patient", "kim"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def _wait_for(process: subprocess.Popen[str], needle: str, timeout: float = 30) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"did not see {needle!r}; saw:\n{seen}")


def test_kill_9_mid_flow_then_resume(suite_database_url: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": suite_database_url,
        "FLOWS_DIR": str(ROOT / "flows"),
        "CONTENT_DIR": str(ROOT / "content"),
    }
    first = _start(env)
    assert first.stdin is not None
    first.stdin.write("/example\n")
    _wait_for(first, "[4] Angry")
    first.stdin.write("Fairly calm\n")
    _wait_for(first, "thought on your mind")
    first.stdin.write("Nothing ever works out\n")
    _wait_for(first, "How much do you believe")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)

    second = _start(env)
    assert second.stdin is not None
    _wait_for(second, "Continue where you left off")
    second.stdin.write("/continue\n")
    _wait_for(second, "How much do you believe")
    second.stdin.write("75\n")
    second.stdin.close()
    out = _wait_for(second, "Would you like to write down")
    second.wait(timeout=20)
    assert "Traceback" not in out
