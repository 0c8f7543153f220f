"""Write small flows into a temporary folder and load them, for validation tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from bot.flow.library import FlowLibrary, load_library

ROOT = Path(__file__).resolve().parents[2]


def make_library(
    tmp_path: Path, flows: dict[str, str], content: dict[str, str] | None = None
) -> FlowLibrary:
    """``flows``: file name -> YAML; content files are added to a copy of system.yaml."""
    flows_dir = tmp_path / "flows"
    content_dir = tmp_path / "content"
    flows_dir.mkdir(parents=True, exist_ok=True)
    content_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "content" / "system.yaml", content_dir / "system.yaml")
    for name, text in (content or {"demo.yaml": DEMO_CONTENT}).items():
        (content_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in flows.items():
        (flows_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_library(flows_dir, content_dir, root=tmp_path)


DEMO_CONTENT = """
hello: "Hello"
ask: "How strong, 0 to 10?"
ask_emotion: "Which feeling?"
bye: "Bye {level}"
anxious: "Anxious"
angry: "Angry"
"""

GOOD_FLOW = """
id: demo
title: Demo
description: A demo.
version: 1
start:
  command: demo
steps:
  hello:
    say: demo.hello
    next: level
  level:
    say: demo.ask
    ask: scale
    save: level
    next:
      - when: level >= 8
        go: high
      - go: bye
  high:
    text: "High"
    next: bye
  bye:
    say: demo.bye
    record: {kind: demo, fields: [level]}
    end: true
"""
