"""{practice.contact}: one of the clinicians' four texts, chosen by which numbers are set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flow.library import FlowLibrary
from bot.flow.practice import practice_variables
from tests.flow.helpers import make_library


@pytest.mark.parametrize(
    ("phone", "after_hours", "contact"),
    [
        (None, None, "Your practice"),
        ("555-0100", None, "Your practice: 555-0100"),
        (None, "555-0199", "Your practice after hours: 555-0199"),
        ("555-0100", "555-0199", "Your practice: 555-0100 (daytime), 555-0199 (after hours)"),
    ],
)
def test_the_line_for_each_case(
    library: FlowLibrary, phone: str | None, after_hours: str | None, contact: str
) -> None:
    texts = practice_variables(library.content, phone, after_hours)
    assert texts == {
        "practice.contact": contact,
        "practice.phone": phone or "",
        "practice.phone_after_hours": after_hours or "",
    }


FLOW = """
id: card
title: Card
description: Shows the practice.
version: 1
steps:
  show:
    say: card.show
    end: true
"""


def test_a_text_showing_it_needs_the_four_texts(tmp_path: Path) -> None:
    content = {"card.yaml": 'show: "Call {practice.contact}"\n'}
    messages = [p.message for p in make_library(tmp_path, {"card.yaml": FLOW}, content).problems]
    assert len(messages) == 4
    assert messages[0].startswith(
        'in step "show": the text "card.show" shows {practice.contact}, which needs the text '
        '"safety_plan.practice_contact.'
    )
