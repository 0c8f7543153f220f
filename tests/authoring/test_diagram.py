"""Mermaid diagrams: every edge labelled, awkward names and words kept from breaking them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bot.authoring.diagram import diagram_markdown, mermaid
from tests.flow.helpers import ROOT, make_library

FLOW = """
id: demo
title: Demo
description: A demo.
version: 3
start:
  command: demo
steps:
  ask:
    text: "Pick"
    ask: choice
    save: pick
    options:
      - {value: a, text: 'Say "yes" | <b>now</b>', next: end}
      - {value: b, text: "Other"}
    next:
      - when: pick == b
        go: helper
      - go: end
  helper:
    text: "Help"
    call: other
    next: end
  end:
    text: "Bye"
    end: true
"""

OTHER = """
id: other
title: Other
description: Called.
version: 1
steps:
  only:
    text: "Hi"
    end: true
"""


def test_every_edge_is_labelled_and_names_are_safe(tmp_path: Path) -> None:
    library = make_library(tmp_path, {"demo.yaml": FLOW, "other.yaml": OTHER})
    assert not library.problems, library.problems
    text = mermaid(library.flows["demo"], library.content)
    edges = [line for line in text.splitlines() if "--" in line or "==>" in line]
    assert edges and all(re.search(r'\|"[^"]+"\|', line) for line in edges), edges
    assert "s_end" in text and " end " not in text.replace('"end"', "")  # Mermaid's keyword
    assert "#quot;yes#quot; #124; now" in text  # quotes and pipes escaped, tags dropped
    assert 'f_other[["flow other"]]' in text
    assert '-->|"if pick == b"| s_helper' in text and '-->|"otherwise"| s_end' in text
    page = diagram_markdown(library.flows["demo"], library.content)
    assert page.startswith("# Demo\n") and "version 3" in page and "```mermaid\n" in page
    assert page == diagram_markdown(library.flows["demo"], library.content)  # deterministic


def test_coach_diagram_writes_checks_and_removes_drawings_of_gone_flows(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3",
    }

    def coach(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert coach("diagram").returncode == 0
    assert (tmp_path / "docs" / "flows" / "example.md").read_text(encoding="utf-8") == (
        ROOT / "docs" / "flows" / "example.md"
    ).read_text(encoding="utf-8")
    assert coach("diagram", "--check").returncode == 0
    gone = tmp_path / "docs" / "flows" / "old_flow.md"
    gone.write_text("Drawn by `coach diagram`\n", encoding="utf-8")
    flow = tmp_path / "flows" / "example.yaml"
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("next: halt", "next: thought", 1), encoding="utf-8"
    )
    check = coach("diagram", "--check")
    assert (
        check.returncode == 1
        and "example.md is out of date" in check.stdout
        and "old_flow.md" in check.stdout
    )
    assert coach("diagram").returncode == 0 and not gone.exists()
    assert coach("diagram", "--check").returncode == 0
