"""The terminal channel, driven by piped standard input as a clinician's script would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_chat_with_piped_input(suite_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": suite_database_url}
    script = "2\n9\n1\nDone ✓\nI can't cope\n90\nNo\n10pm\nChicago\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--flow", "example", "--patient", "ana"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "coach> How are you arriving today?" in out
    assert "[1] Fairly calm" in out and "you> 2" in out
    assert "(pause 4s)" in out  # breathing cues are shown, not waited for, when piped
    assert "✓ Hungry" in out
    assert "It's saved in your journal" in out
    assert "Traceback" not in done.stderr
