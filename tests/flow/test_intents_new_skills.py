"""Words that route to the skills added in issue 14, item 11: activation, cope ahead,
opposite action and IMPROVE (content/intents.yaml), with the crisis screen on as built,
and everyday words that must not route to them."""

from __future__ import annotations

import pytest

from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from tests.flow.test_engine import Chat, said
from tests.flow.test_intents import ROOT, _offers, load_intents

ROUTES = {
    "activation": [
        "nothing feels worth doing",
        "Nothing seems worth it lately",
        "I don't feel like doing anything",
        "can't be bothered with anything today",
        "I've been lying in bed all day",
    ],
    "cope_ahead": [
        "my sister is visiting and I'm dreading it",
        "dreading the weekend",
        "payday is friday and that's when I used to buy",
        "my parents are coming over on sunday",
        "I'm nervous about the wedding",
        "family visit next week",
    ],
    "opposite_action": [
        "I feel so ashamed",
        "I'm really angry at my brother",
        "feeling guilty about yesterday",
        "I want to hide from everyone",
        "too scared to go to the appointment",
    ],
}

NOT_ROUTED_HERE = [
    "I'm not ashamed of it",
    "my sister visited last year",
    "I got paid last week",
    "I wasn't lying",
]


@pytest.fixture
def words_only(library: FlowLibrary) -> Engine:
    """The shipped intents without the crisis screen (as in tests/flow/test_intents.py)."""
    return Engine(library, intents=load_intents(ROOT / "content" / "intents.yaml", library.flows))


@pytest.mark.parametrize(
    ("text", "flow_id"), [(t, f) for f, texts in ROUTES.items() for t in texts]
)
def test_the_words_route_to_the_new_skill_first(
    words_only: Engine, text: str, flow_id: str
) -> None:
    offers = _offers(Chat(words_only).send(text))
    assert offers[0] == flow_id, f"{text!r} offered {offers}"
    assert set(c.id for c in words_only.library.menu()) <= set(offers)


@pytest.mark.parametrize("text", NOT_ROUTED_HERE)
def test_words_about_the_past_or_a_no_do_not_route_to_them(words_only: Engine, text: str) -> None:
    offers = _offers(Chat(words_only).send(text))
    assert offers[0] not in ROUTES, f"{text!r} offered {offers}"


@pytest.mark.parametrize(
    ("text", "flow_id"),
    [
        ("nothing feels worth doing", "activation"),
        ("my sister is visiting and I'm dreading it", "cope_ahead"),
        ("I feel so ashamed", "opposite_action"),
    ],
)
def test_the_briefs_own_words_route_with_the_crisis_screen_on(
    engine: Engine, text: str, flow_id: str
) -> None:
    turn = Chat(engine).send(text)
    assert not turn.safety_events, said(turn)
    assert _offers(turn)[0] == flow_id


def test_low_mood_and_struggling_also_offer_activation_and_improve(words_only: Engine) -> None:
    assert "activation" in _offers(Chat(words_only).send("feeling so low today"))[:2]
    assert "improve" in _offers(Chat(words_only).send("I'm struggling"))[:3]
