"""The committed editor schema and flow diagrams match what the code generates now.

CI runs only pytest, so this is where "a diagram is out of date" fails the build; the
message says which command brings the file up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.authoring.diagram import all_diagrams
from bot.authoring.editor_schema import (
    crisis_json_schema,
    crisis_schema_text,
    flow_json_schema,
    flow_schema_text,
)
from bot.flow.library import load_library

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current() -> None:
    committed = ROOT / "docs" / "flow.schema.json"
    assert committed.exists(), "docs/flow.schema.json is missing; run `coach schema`"
    assert committed.read_text(encoding="utf-8") == flow_schema_text(), (
        "docs/flow.schema.json is out of date with bot/flow/schema.py; run `coach schema`"
    )


def test_committed_crisis_schema_is_current() -> None:
    committed = ROOT / "docs" / "crisis.schema.json"
    assert committed.exists(), "docs/crisis.schema.json is missing; run `coach schema`"
    assert committed.read_text(encoding="utf-8") == crisis_schema_text(), (
        "docs/crisis.schema.json is out of date with bot/safety/crisis_schema.py; "
        "run `coach schema`"
    )


def test_the_crisis_file_names_its_schema() -> None:
    first = (ROOT / "content" / "crisis.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/crisis.schema.json"


@pytest.mark.parametrize("schema", [flow_json_schema, crisis_json_schema])
def test_every_key_in_the_schema_is_explained(schema: Callable[[], dict[str, Any]]) -> None:
    missing: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if not prop.get("description"):
                    missing.append(f"{path}.{name}")
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    walk(schema(), "")
    assert not missing, f"keys without a plain-words description: {missing}"


def test_every_shipped_flow_names_the_schema() -> None:
    for path in sorted((ROOT / "flows").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../docs/flow.schema.json", path.name


def test_committed_diagrams_are_current() -> None:
    library = load_library(ROOT / "flows", ROOT / "content", root=ROOT)
    assert not library.problems
    docs = ROOT / "docs" / "flows"
    expected = all_diagrams(library, docs)
    stale = [
        p.name
        for p, text in expected.items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    extra = sorted(p.name for p in docs.glob("*.md") if p not in expected)
    assert not stale, f"diagrams out of date with their flows: {stale}; run `coach diagram`"
    assert not extra, f"diagrams of flows that no longer exist: {extra}; run `coach diagram`"
