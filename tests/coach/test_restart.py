"""A conversation survives `kill -9` of the process in the middle of a flow."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

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
    """The output up to the line with ``needle``; fails after ``timeout`` saying what was
    seen. Lines are read by a thread, so words that never come fail the test instead of
    blocking a bare readline for ever."""
    assert process.stdout is not None
    if process.pid not in _LINES:
        _LINES[process.pid] = _line_reader(process.stdout)
    lines = _LINES[process.pid]
    seen = ""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen += line
        if needle in line:
            return seen
    errors = process.stderr.read() if process.poll() is not None and process.stderr else ""
    raise AssertionError(f"did not see {needle!r}; saw:\n{seen}{errors}")


_LINES: dict[int, queue.Queue[str | None]] = {}


def _line_reader(stream: IO[str]) -> queue.Queue[str | None]:
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


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
    _wait_for(second, "Continue: Example of every feature")
    second.stdin.write("/continue\n")
    _wait_for(second, "How much do you believe")
    second.stdin.write("75\n")
    second.stdin.close()
    out = _wait_for(second, "Would you like to write down")
    second.wait(timeout=20)
    assert "Traceback" not in out
