"""Words that route: free text outside an exercise gets the fitting exercise first.

The shipped ``content/intents.yaml`` read by the real engine (crisis screen included), with
many phrasings per need and the ones that must not route; then the file's own checks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.safety.intents import load_intents, validate_intents_file
from bot.shared import tokens
from bot.shared.conversation import Asked
from bot.shared.messages import Turn
from tests.flow.test_engine import Chat, said

ROUTES = {
    "slip": [
        "I relapsed",
        "i used today",
        "I slipped last night",
        "I had some kratom this morning",
        "ugh I used again",
        "I broke my streak",
        "I messed up and used",
        "relapsed yesterday, feeling awful",
        "I RELAPSED.",
        "I caved and used last night",
        "I gave in and used",
        "I went back to kratom",
        "I dosed this morning",
        "used today",
    ],
    "urge_surfing": [
        "I really want to use",
        "i wanna use so bad",
        "craving hard right now",
        "the cravings are intense tonight",
        "I need some kratom",
        "strong urge to use",
        "I want to take some kratom",
        "really want kratom rn",
        "I feel like using",
        "I can't stop thinking about using",
        "dying for some kratom",
    ],
    "grounding": [
        "having a flashback",
        "I keep getting flashbacks",
        "I'm reliving it again",
        "I feel unreal, like I'm not here",
        "feeling detached",
        "just woke up from a nightmare",
    ],
    "paced_breathing": [
        "panic attack",
        "I'm panicking",
        "having an anxiety attack",
        "I'm freaking out",
        "I'm so anxious",
    ],
    "sleep_night": [
        "can't sleep",
        "I cannot fall asleep",
        "it's 3am and I'm still awake",
        "insomnia again",
        "I was up all night",
        "haven't slept in two days",
    ],
    "pain": [
        "my pain is bad",
        "My pain is really bad today",
        "my back is killing me",
        "I'm in so much pain",
        "having a flare up",
        "my knee hurts",
        "nerve pain tonight",
    ],
    "distress": [
        "I'm struggling",
        "feeling overwhelmed",
        "having a really rough day",
        "I can't cope",
    ],
    "reframe": ["feeling so low today", "I'm depressed", "no motivation at all"],
    "learn": ["withdrawal is killing me", "the withdrawals are so bad", "I'm dope sick"],
    "checkin": [
        "I've been clean 30 days!",
        "two weeks kratom free today",
        "sober for a whole month",
    ],
}

NOT_ROUTED = [
    # A greeting or thanks with news beside it is not a greeting (alone: true).
    "hey, my wife left me",
    "hi my mom passed away yesterday",
    "thank you. im scared",
    "thanks. i lost my job today",
    "thanks for nothing",
    "no thanks",
    "I used to love painting",
    "I used kratom for years before I started here",
    "I don't want to use",
    "I'm craving pizza",
    "no cravings today",
    "cravings have been easier this week",
    "my back pain is better",
    "what a pain in the neck",
    "I can't sleep in on Sundays, the kids wake me",
    "I slept great",
    "had a good day at work",
    "no flashbacks this week",
    "calm down, I'm fine",
    "I made a cash withdrawal at the bank",
    "no withdrawal symptoms this week",
    "I haven't been clean long",
]


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chat(engine: Engine) -> Chat:
    """The coach as built (crisis screen and all)."""
    return Chat(engine)


@pytest.fixture(scope="module")
def words_only(library: FlowLibrary) -> Engine:
    """The shipped flows and intents without the crisis screen: how the words alone route.

    The screen's learned layer asks a direct question about some of these on its own (its
    figures are in the README); that is the screen's decision, tested in tests/safety."""
    return Engine(library, intents=load_intents(ROOT / "content" / "intents.yaml", library.flows))


def _offers(turn: Turn) -> list[str]:
    """The flows the last message's buttons open, in order."""
    found = []
    for row in turn.messages[-1].buttons:
        for button in row:
            token = tokens.parse(button.token or "")
            if isinstance(token, tokens.OpenFlow):
                found.append(token.flow_id)
    return found


@pytest.mark.parametrize(
    ("text", "flow_id"), [(t, f) for f, texts in ROUTES.items() for t in texts]
)
def test_a_need_in_free_text_gets_its_exercise_first_with_the_menu_below(
    words_only: Engine, text: str, flow_id: str
) -> None:
    turn = Chat(words_only).send(text)
    offers = _offers(turn)
    assert offers[0] == flow_id, f"{text!r} offered {offers}"
    menu = [c.id for c in words_only.library.menu()]
    assert set(menu) <= set(offers), "the whole menu is below the offer"
    assert len(offers) == len(set(offers)), "an offered exercise is not shown twice"
    assert "Pick something from the menu" not in said(turn)


@pytest.mark.parametrize("text", NOT_ROUTED)
def test_words_that_name_no_need_get_the_kind_reply_and_the_menu(
    words_only: Engine, text: str
) -> None:
    turn = Chat(words_only).send(text)
    assert "Thank you for writing" in said(turn)
    assert _offers(turn) == [c.id for c in words_only.library.menu()]


@pytest.mark.parametrize(
    ("text", "flow_id"),
    [
        ("I relapsed", "slip"),
        ("I really want to use", "urge_surfing"),
        ("having a flashback", "grounding"),
        ("can't sleep", "sleep_night"),
        ("my pain is bad", "pain"),
        ("panic attack", "paced_breathing"),
        ("withdrawal is killing me", "learn"),
        ("I've been clean 30 days!", "checkin"),
    ],
)
def test_the_issues_own_words_route_with_the_crisis_screen_on(
    chat: Chat, text: str, flow_id: str
) -> None:
    turn = chat.send(text)
    assert not turn.safety_events
    assert _offers(turn)[0] == flow_id


SOCIAL = {
    "Hi, it's good to hear from you": ["hello", "hey there", "Good morning!", "hola"],
    "You're welcome": ["thanks!", "thank you so much", "ty", "gracias"],
    "I'm your skills coach": ["what can you do?", "who are you", "how does this work"],
}


@pytest.mark.parametrize(("text", "answer"), [(t, a) for a, texts in SOCIAL.items() for t in texts])
def test_hello_thanks_and_what_can_you_do_get_a_warm_answer_and_the_menu(
    chat: Chat, text: str, answer: str
) -> None:
    turn = chat.send(text)
    assert not turn.safety_events
    assert answer in said(turn) and "Thank you for writing" not in said(turn)
    assert _offers(turn) == [c.id for c in chat.engine.library.menu()]


@pytest.mark.parametrize(
    ("text", "flow_id"),
    [("hi, I relapsed last night", "slip"), ("thanks, I want to use", "urge_surfing")],
)
def test_a_need_beside_a_greeting_is_still_offered_first(
    words_only: Engine, text: str, flow_id: str
) -> None:
    assert _offers(Chat(words_only).send(text))[0] == flow_id


def test_no_thanks_is_not_thanked(words_only: Engine) -> None:
    assert "You're welcome" not in said(Chat(words_only).send("no thanks"))


def test_plain_words_with_the_crisis_screen_on_get_the_kind_reply(chat: Chat) -> None:
    for text in ("what a pain in the neck", "I used to love painting", "I'm craving pizza"):
        turn = chat.send(text)
        assert not turn.safety_events and "Thank you for writing" in said(turn), text


ASKED_FIRST = [
    ("I feel like using", "urge_surfing"),
    ("I took some kratom today", "slip"),
    ("I took 7oh today", "slip"),
]


def test_after_a_no_to_the_direct_question_the_words_still_route(chat: Chat) -> None:
    """Words that may read as risk ("I took some kratom today": an overdose?) get the
    direct question first; after a clear "no" the exercise they asked for is offered,
    not only a menu button. The intent is kept by its id, never the words."""
    asked = 0
    for text, flow_id in ASKED_FIRST:
        turn = chat.send(text)
        if isinstance(chat.state.hold, Asked):
            asked += 1
            assert chat.state.asked_intent is not None
            assert text.lower() not in str(chat.state.to_json()).lower()
            turn = chat.press(_no_label(turn))
        assert _offers(turn)[0] == flow_id, f"{text!r} offered {_offers(turn)}"
        assert chat.state.asked_intent is None
    assert asked, "none of these was asked about: pick words the screen asks about"


def _no_label(turn: Turn) -> str:
    """The direct question's "no" button (its words depend on the category)."""
    (question,) = [m for m in turn.messages if m.buttons]
    yes, no = [b.label for row in question.buttons for b in row]
    return no


def test_a_yes_to_the_direct_question_offers_no_exercise(chat: Chat) -> None:
    turn = chat.send("I took some kratom today")
    if not isinstance(chat.state.hold, Asked):
        pytest.skip("the screen does not ask about these words now")
    turn = chat.press("Yes")
    assert "911" in said(turn) and chat.state.asked_intent is None
    assert "slip" not in _offers(turn)


def test_a_need_typed_where_a_button_is_asked_for_is_offered_before_the_question(
    chat: Chat,
) -> None:
    """Inside an exercise, "panic attack" typed at a 0-10 question is not the answer: the
    breathing exercise is offered first, then the question again; taking the offer leaves
    the check-in, which can be picked up after."""
    chat.send("/checkin")
    chat.press("5")  # mood: an answer the check-in would lose on a fresh start
    asked = chat.step
    turn = chat.send("panic attack")
    offer, again = turn.messages[-2:]
    assert [b.label for row in offer.buttons for b in row][0] == "Slow breathing now"
    assert "Daily check-in" not in [b.label for row in offer.buttons for b in row]
    assert [b.label for row in again.buttons for b in row][:3] == ["0", "1", "2"]
    assert chat.step == asked and not turn.safety_events
    chat.press("Slow breathing now")
    assert chat.state.current is not None and chat.state.current.flow_id == "paced_breathing"
    reopened = chat.send("/checkin")
    labels = [b.label for m in reopened.messages for row in m.buttons for b in row]
    assert any("where you left off" in label for label in labels), labels


def test_words_that_name_no_need_inside_an_exercise_only_ask_again(chat: Chat) -> None:
    chat.send("/checkin")
    turn = chat.send("hmm let me think")
    assert len(turn.messages) == 1 and turn.messages[0].buttons


def test_a_pressed_offer_opens_that_exercise(chat: Chat) -> None:
    chat.send("I relapsed")
    turn = chat.press("Talk it through, step by step")
    assert chat.state.current is not None and chat.state.current.flow_id == "slip"
    assert turn.messages


def test_the_crisis_screen_comes_before_the_words_that_route(chat: Chat) -> None:
    turn = chat.send("I relapsed and took 30 of my pills")
    assert turn.safety_events, "a crisis inside a slip is answered as a crisis"
    assert "911" in said(turn)
    assert "Talk it through" not in [
        b.label for m in turn.messages for row in m.buttons for b in row
    ]


def test_inside_an_exercise_the_words_are_an_answer_not_a_route(chat: Chat) -> None:
    chat.send("/reframe")
    turn = chat.send("can't sleep because of work")
    assert chat.state.current is not None and chat.state.current.flow_id == "reframe"
    assert "sleep_night" not in _offers(turn)


def test_with_an_exercise_paused_the_menu_below_still_offers_to_continue(chat: Chat) -> None:
    chat.send("/reframe")
    chat.send("/cancel")
    chat.send("/pain")
    chat.state.paused, chat.state.frames = chat.state.frames, []
    turn = chat.send("panic attack")
    labels = [b.label for row in turn.messages[-1].buttons for b in row]
    assert labels[0] == "Slow breathing now"
    assert "↩ Continue: Cope with pain" in labels


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_file_names_each_mistake_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        version: 1
        intents:
          - id: slip
            match: ["i [relapsed|slipped"]
            reply: "Thanks for telling me."
            offer: {slipp: "Talk it through"}
          - id: slip
            match: [want to use]
            offer: {urge_surfing: "Ride it out"}
          - id: pain
            match: [my pain is bad]
            reply: "a { here"
            offer: []
            extra: 1
        """,
    )
    problems = [str(p) for p in validate_intents_file(path, {"slip", "urge_surfing"})]
    assert any(p.startswith(f"{path}:4:") and '"]"' in p for p in problems), problems
    assert any(p.startswith(f"{path}:6:") and 'did you mean "slip"' in p for p in problems)
    assert any(p.startswith(f"{path}:7:") and "used twice" in p for p in problems)
    assert any(":7:" in p and '"reply:"' in p for p in problems)
    assert any(p.startswith(f"{path}:12:") and "{{" in p for p in problems)
    assert any(p.startswith(f"{path}:13:") and "offer:" in p for p in problems)
    assert any(p.startswith(f"{path}:14:") and 'unknown key "extra"' in p for p in problems)


def test_a_long_reply_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"""\
        intents:
          - id: pain
            match: [my pain is bad]
            reply: "{"word " * 130}"
            offer: {{pain: "Cope with pain"}}
        """,
    )
    problems = validate_intents_file(path, {"pain"})
    assert problems and "under 600" in problems[0].message and problems[0].line == 4


def test_the_first_intent_in_the_file_wins_and_unless_cancels_only_its_own(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        """\
        intents:
          - id: first
            match: [cant sleep]
            unless: [sleep in]
            reply: "One"
            offer: {a: "A"}
          - id: second
            match: [sleep*]
            reply: "Two"
            offer: {b: "B"}
        """,
    )
    matcher = load_intents(path, {"a", "b"})
    assert (found := matcher.read("I CAN'T sleep!!")) is not None and found.id == "first"
    assert (found := matcher.read("I can't sleep in")) is not None and found.id == "second"
    assert matcher.read("") is None and matcher.read("🙂") is None


def test_an_intent_without_offer_answers_with_its_reply_alone(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        intents:
          - id: greeting
            match: [hello]
            reply: "Hi there"
        """,
    )
    assert validate_intents_file(path, set()) == []
    found = load_intents(path, set()).read("hello!")
    assert found is not None and found.reply == "Hi there" and found.offers == ()


def test_alone_is_true_or_false(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        intents:
          - id: greeting
            alone: sometimes
            match: [hello]
            reply: "Hi there"
        """,
    )
    problems = validate_intents_file(path, set())
    assert [(p.line, "true or false" in p.message) for p in problems] == [(3, True)]


def test_the_shipped_file_is_valid(engine: Engine) -> None:
    assert validate_intents_file(ROOT / "content" / "intents.yaml", engine.library.flows) == []
