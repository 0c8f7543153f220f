"""The JSON Schemas editors use to complete keys and underline mistakes while a file is written.

``flows/*.yaml`` against the pydantic models in bot.flow.schema, ``content/crisis.yaml``
against those in bot.safety.crisis_schema: generated from the models the loaders
validate with, so the editor and the loader can never disagree. The texts are
deterministic: a test compares them with the committed docs/flow.schema.json and
docs/crisis.schema.json and asks for `coach schema` when they differ.
"""

from __future__ import annotations

import json
from typing import Any

from bot.flow.schema import Flow
from bot.safety.crisis_schema import CrisisFile

SCHEMA_PATH = "docs/flow.schema.json"
CRISIS_SCHEMA_PATH = "docs/crisis.schema.json"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def flow_json_schema() -> dict[str, Any]:
    schema = Flow.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["title"] = "Coach flow"
    return schema


def flow_schema_text() -> str:
    return _text(flow_json_schema())


def crisis_json_schema() -> dict[str, Any]:
    """The schema of content/crisis.yaml; a phrase's language is checked by the loader only."""
    schema = CrisisFile.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["title"] = "Coach crisis file"
    return schema


def crisis_schema_text() -> str:
    return _text(crisis_json_schema())


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
