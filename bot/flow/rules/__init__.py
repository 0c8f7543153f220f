"""The meaning rules a flow must follow beyond its shape.

Each rule returns problems with the line of the key at fault and a stable code (the
rule's group: ``step.shape``, ``step.condition``, ``step.text``, ``step.record``,
``step.recall``,
``flow.graph``, ``flow.reference``). They run on a flow that already matched the schema,
so they can rely on types and concentrate on what a clinician can get wrong while the
YAML still looks fine: a step that is never reached, an exercise with no way out, a
condition about an answer nobody asked for.
"""

from bot.flow.rules.check import check_flow
from bot.flow.rules.facts import (
    SYSTEM_KEYS,
    FlowFacts,
    SavedAnswer,
    content_keys_of,
    inline_texts_of,
    say_items,
    step_targets,
)

__all__ = [
    "SYSTEM_KEYS",
    "FlowFacts",
    "SavedAnswer",
    "check_flow",
    "content_keys_of",
    "inline_texts_of",
    "say_items",
    "step_targets",
]
