"""The JSON Schema editors use to complete keys and underline mistakes in flows/*.yaml.

Generated from the pydantic models in bot.flow.schema, so the editor and the loader can
never disagree. The text is deterministic: a test compares it with the committed
docs/flow.schema.json and asks for `coach schema` when they differ.
"""

from __future__ import annotations

import json
from typing import Any

from bot.flow.schema import Flow

SCHEMA_PATH = "docs/flow.schema.json"


def flow_json_schema() -> dict[str, Any]:
    schema = Flow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Coach flow"
    return schema


def flow_schema_text() -> str:
    return json.dumps(flow_json_schema(), indent=2, ensure_ascii=False) + "\n"
