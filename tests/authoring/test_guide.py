"""docs/authoring.md works as written: a test follows its worked example literally.

The guide's marked blocks (``<!-- worked-example: ACTION [FILE] -->`` before a fenced
block) are applied in order to a copy of flows/ and content/: text appended to a file,
inserted after the preceding ``anchor`` block, or replacing it. Marked ``run`` blocks are
run (with this checkout's coach) and every line of the ``output`` block after them must
appear. So a first-time editor following only the guide gets the new step with its button
in `coach chat`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "authoring.md"
BLOCK = re.compile(r"<!-- worked-example: ([a-z-]+)(?: (\S+))? -->\n```[a-z]*\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, str | None, str]]:
    return [(m[1], m[2], m[3]) for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))]


def test_the_guide_covers_what_a_clinician_does() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for heading in (
        "Change a text",
        "Add a step",
        "Add a button",
        "Add a flow",
        "Write a conversation test",
        "Read a validation error",
        "See the diagram",
        "Try it in the terminal",
        "Worked example",
    ):
        assert f"## {heading}" in text, heading


def test_the_worked_example_adds_a_step_with_a_button_that_chat_shows(
    tmp_path: Path, suite_database_url: str
) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    env = {
        **os.environ,
        "DATABASE_URL": suite_database_url,
        "PYTHONPATH": str(ROOT),
    }
    coach = f"{shlex.quote(sys.executable)} -m bot"
    anchor: str | None = None
    last_output = ""
    outputs_checked = runs = 0
    chats: list[str] = []
    blocks = _blocks()
    assert len(blocks) >= 10, "the worked example's marked blocks are missing"
    for action, file, body in blocks:
        if action == "anchor":
            anchor = body
        elif action in ("append", "insert-after", "replace"):
            assert file is not None, f"{action} needs a file"
            path = tmp_path / file
            text = path.read_text(encoding="utf-8")
            if action == "append":
                text = text.rstrip("\n") + "\n" + body
            else:
                assert anchor is not None and text.count(anchor) == 1, (
                    f"the guide's anchor {anchor!r} is not unique in {file}"
                )
                text = text.replace(anchor, anchor + body if action == "insert-after" else body)
                anchor = None
            path.write_text(text, encoding="utf-8")
        elif action == "run":
            command = body.replace(".venv/bin/coach", coach)
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{body}\n{done.stdout}\n{done.stderr}"
            assert "Traceback" not in done.stderr, done.stderr
            last_output = done.stdout
            chats += [done.stdout] if "coach chat" in body else []
            runs += 1
        elif action == "output":
            for line in body.splitlines():
                assert line in last_output, (
                    f"the guide promises {line!r}; the output was:\n{last_output}"
                )
            outputs_checked += 1
        else:
            raise AssertionError(f"unknown worked-example action {action!r}")
    assert runs >= 4 and outputs_checked == runs
    # The try in coach chat showed the new button, then the new step with its buttons.
    assert any(
        "[5] Tired" in out
        and "coach> Tiredness makes everything harder" in out
        and "[2] Keep going" in out
        for out in chats
    ), chats
    assert (tmp_path / "docs" / "flows" / "example.md").exists()
    assert "button: Tired" in (tmp_path / "docs" / "flows" / "example.md").read_text(
        encoding="utf-8"
    )
