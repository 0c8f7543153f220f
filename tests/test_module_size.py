"""Modules of one job: one over 300 lines says why in its docstring (the redesign's rule)."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
LIMIT = 300
REASON = "Over 300 lines:"


def test_every_module_over_300_lines_says_why() -> None:
    unexplained = []
    for path in sorted(BOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if REASON not in docstring:
            unexplained.append(f"{path.relative_to(BOT.parent)} ({source.count(chr(10))} lines)")
    assert not unexplained, (
        f"split these modules, or say in their docstring '{REASON} <why>': "
        + ", ".join(unexplained)
    )
