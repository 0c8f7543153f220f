"""The ask kinds: one class per kind behind ASK_KINDS, exactly the kinds the schema allows."""

from __future__ import annotations

from typing import get_args

from bot.flow.asks import ASK_KINDS
from bot.flow.schema import AskKind


def test_every_kind_the_schema_allows_has_one_class_and_no_more() -> None:
    assert set(ASK_KINDS) == set(get_args(AskKind))
    assert all(kind.name == name for name, kind in ASK_KINDS.items())
