"""The whole screen on the shipped crisis file: answers, questions, language, context."""

from pathlib import Path

import pytest

from bot.safety.decision import Action, RecentSignal
from bot.safety.response import crisis_messages, unsure_question
from bot.safety.screen import CrisisScreen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def screen() -> CrisisScreen:
    return CrisisScreen.from_content(ROOT / "content")


def test_a_clear_present_statement_is_answered_at_once(screen: CrisisScreen) -> None:
    d = screen.screen("I want to kill myself")
    assert (d.action, d.category, d.layer in ("rules", "both")) == (Action.RESPOND, "suicide", True)


@pytest.mark.parametrize(
    "text",
    [
        "I used to cut myself",
        "years ago i tried to kill myself",
        "is it dangerous to mix kratom and xanax",
    ],
)
def test_a_hit_that_reads_as_past_or_a_question_is_never_answered_as_a_crisis_now(
    screen: CrisisScreen, text: str
) -> None:
    assert screen.screen(text).action is not Action.RESPOND


def test_a_spanish_message_gets_the_spanish_answer(screen: CrisisScreen) -> None:
    d = screen.screen("ya no quiero vivir, me quiero morir")
    assert d.action is not Action.NONE and d.language == "es"
    text = "\n".join(
        m.text for m in crisis_messages("suicide", screen.config.in_language("es"), None)
    )
    assert "marca 2" in text and "AYUDA" in text and "741741" in text and "442-AYUDAME" in text


def test_an_english_message_stays_in_english(screen: CrisisScreen) -> None:
    assert screen.screen("I want to kill myself").language is None


def test_each_category_asks_its_own_question(screen: CrisisScreen) -> None:
    words = {
        "suicide": "not wake up",
        "self_harm": "hurting yourself",
        "overdose": "911",
        "abuse": "safe",
        "harm_to_others": "hurt someone",
    }
    for category, expected in words.items():
        message = unsure_question(screen.config, category)
        assert expected in message.text, category
        assert message.buttons[0][0].token == f"sys:asked_yes:{category}"


def test_recent_messages_can_open_the_question_together(screen: CrisisScreen) -> None:
    settings = screen.config.learned
    assert settings is not None
    calm = screen.screen("the weather is nice today")
    assert calm.action is Action.NONE
    heavy = [RecentSignal(1.0, 0.59, "suicide")]
    d = screen.screen("i have them all here in front of me", heavy)
    assert d.action is Action.ASK


def test_the_911_line_is_for_anyone_in_danger_now(screen: CrisisScreen) -> None:
    how = screen.config.resource("emergency_911").how
    assert "about to act" in how and "attacked" in how and "not breathing" in how


def test_overdose_answer_gives_first_aid_while_help_comes(screen: CrisisScreen) -> None:
    intro = screen.config.category("overdose").intro
    for words in ("naloxone", "side", "second dose", "2-3 minutes", "Chest pain", "call for help"):
        assert words in intro


def test_suicide_and_self_harm_answers_show_the_plan_first(screen: CrisisScreen) -> None:
    for category in ("suicide", "self_harm"):
        messages = crisis_messages(category, screen.config, None, safety_plan_html="Call Sam")
        assert "Call Sam" in messages[0].text
    messages = crisis_messages("overdose", screen.config, None, safety_plan_html="Call Sam")
    assert "Call Sam" not in messages[0].text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a past phrase that opens the hit itself
        ("i used to mix kratom with alcohol every weekend", "past"),
        # long ago, right after the hit
        ("had a seizure years ago from benzo withdrawal", "long_ago"),
        # words after the hit that say it is over
        (
            "i wanted to hurt myself for a second but i called my sponsor and the urge passed",
            "resolved",
        ),
    ],
)
def test_uncertain_words_count_where_they_are_said(
    screen: CrisisScreen, text: str, kind: str
) -> None:
    reading = screen.read(text)
    assert reading.hits and all(
        h.uncertain is not None and h.uncertain.split(".")[1] == kind for h in reading.hits
    )


def test_a_long_ago_word_after_an_overdose_counts_only_right_after_it(screen: CrisisScreen) -> None:
    # "a while ago" may be half an hour: it never makes an overdose after it uncertain.
    reading = screen.read("i took all my pills a while ago")
    assert reading.hits and reading.hits[0].uncertain is None
    d = screen.screen("i took all my pills a while ago")
    assert (d.action, d.category) == (Action.RESPOND, "overdose")
    # Nor does an ending before the hit.
    reading = screen.read("the urge passed yesterday but now i want to kill myself")
    assert any(h.uncertain is None for h in reading.hits)


@pytest.mark.parametrize(
    "text",
    [
        "i took 30 pills but im ok now",
        "my friend is not breathing, just asking what to do",
        "he od'd but he survived, hes in the icu and not waking up",
    ],
)
def test_an_overdose_is_not_over_because_the_message_says_so(
    screen: CrisisScreen, text: str
) -> None:
    # the ending is not even read as one: the hit stays certain
    assert all(h.uncertain is None for h in screen.read(text).hits if h.category == "overdose")
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, "overdose")


@pytest.mark.parametrize(
    "text",
    [
        # a question's words that are the crisis phrase's own do not make it a question
        "how many of my pills would kill me? just curious",
        # a wish to die played down after it is answered as it was said
        "i want to die but i know its the withdrawal",
    ],
)
def test_a_suicide_phrase_is_answered_whatever_follows_it(screen: CrisisScreen, text: str) -> None:
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, "suicide")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A plan to overdose gets the suicide answer; one already taken, 911 first.
        ("i'm gonna overdose on purpose this time", "suicide"),
        ("im going to od on purpose tonight", "suicide"),
        ("i overdosed on purpose an hour ago", "overdose"),
        ("i think im overdosing", "overdose"),
        # Plans, means and symptoms without a crisis word.
        ("gonna swallow every pill in this house after my wife falls asleep", "suicide"),
        ("my family is better off collecting the insurance than dealing with me", "suicide"),
        ("im going to walk into the lake tonight", "suicide"),
        ("my brother keeps pointing his gun at me", "abuse"),
        ("he held my head underwater", "abuse"),
        ("severe chest pressure, sweating, this started 20 min ago", "overdose"),
        ("i blacked out and woke up on the floor", "overdose"),
    ],
)
def test_plans_means_and_symptoms_get_their_own_categorys_answer(
    screen: CrisisScreen, text: str, category: str
) -> None:
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, category)


def test_a_hotline_or_a_shelter_is_no_crisis_but_the_words_alone_are_asked_about(
    screen: CrisisScreen,
) -> None:
    assert screen.screen("i volunteer at a domestic violence shelter on weekends").action is (
        Action.NONE
    )
    d = screen.screen("domestic violence")
    assert d.action is not Action.NONE and d.category == "abuse"
    d = screen.screen("my husband is home and im a victim of domestic violence, hes drunk")
    assert (d.action, d.category) == (Action.RESPOND, "abuse")


def test_a_plan_in_other_words_is_asked_about_and_chest_pain_from_a_cough_is_not_a_crisis(
    screen: CrisisScreen,
) -> None:
    assert screen.screen("i know how im gonna do it").action is Action.ASK
    assert screen.screen("bad chest pain from coughing all week").action is Action.NONE


@pytest.mark.parametrize(
    "text",
    [
        "i keep thinking about how much money i wasted on kratom. makes me sick",
        "called poison control and they said its fine, just skip tomorrows dose",
        "i was laughing so hard i couldnt breathe",
        "my son takes a seizure med for epilepsy, no seizures in a year",
        "me corté con el cuchillo de cocina picando cebolla",
    ],
)
def test_everyday_words_beside_an_emergency_phrase_are_no_crisis(
    screen: CrisisScreen, text: str
) -> None:
    assert screen.screen(text).action is Action.NONE


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("got wasted on kratom and beer, cant stay awake", "overdose"),
        ("called poison control and they said its not ok, go to the er", "overdose"),
        ("he had a seizure after taking kratom", "overdose"),
        ("me corté con el cuchillo de cocina a propósito", "self_harm"),
    ],
)
def test_the_same_phrases_in_an_emergency_are_still_answered(
    screen: CrisisScreen, text: str, category: str
) -> None:
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, category)


@pytest.mark.parametrize(
    "text",
    [
        "honestly i dont want to die i just want a break from all this",
        "no quiero morir, solo quiero descansar de todo esto",
    ],
)
def test_not_wanting_to_die_is_a_negation_not_a_wish(screen: CrisisScreen, text: str) -> None:
    """The rule's own ``unless:``: never the crisis answer at once; the direct question at
    most (the model may hear a passive wish in "a break from all this")."""
    decision = screen.screen(text)
    assert decision.action is not Action.RESPOND
    assert decision.rule_id is None


def test_not_wanting_to_die_when_tired_is_let_go(screen: CrisisScreen) -> None:
    assert screen.screen("no quiero morir, solo estoy cansada de tanto trabajo").action is (
        Action.NONE
    )


@pytest.mark.parametrize(
    "text",
    [
        "i dont want to die but i cant stop staring at the pills i saved",
        "no quiero morir pero ya no aguanto mas, tengo la cuerda aqui",
    ],
)
def test_not_wanting_to_die_beside_a_means_is_still_asked_about(
    screen: CrisisScreen, text: str
) -> None:
    decision = screen.screen(text)
    assert decision.action is not Action.NONE
    assert decision.category in ("suicide", "concern")  # concern asks the suicide question


@pytest.mark.parametrize(
    "text",
    [
        "my 2 year old drank from my kratom shot bottle on the counter",
        "the baby ate one of my capsules i think",
        "mi hijo se tomo mis pastillas",
    ],
)
def test_a_child_who_swallowed_kratom_or_pills_gets_the_emergency_answer(
    screen: CrisisScreen, text: str
) -> None:
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, "overdose")


@pytest.mark.parametrize(
    "text",
    [
        "my son swallowed his pill finally",
        "i'm tired of living paycheck to paycheck, need to find a better job",
        "i read that kratom can cause seizures at high doses, is that true? i'm tapering",
    ],
)
def test_everyday_words_near_a_crisis_phrase_are_not_answered_as_one(
    screen: CrisisScreen, text: str
) -> None:
    assert screen.screen(text).action is not Action.RESPOND


def test_not_self_harming_is_no_self_harm_phrase(screen: CrisisScreen) -> None:
    d = screen.screen("i'm not self harming, i promise, the marks are from the blood pressure cuff")
    assert d.action is not Action.RESPOND and d.rule_id is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("i dont want to die i cant breathe", "overdose.breathing"),
        ("i dont want to die i took 30 pills", "overdose.too_much"),
        ("no quiero morir, no puedo respirar", "overdose.breathing"),
        ("im not self harming i took 30 pills", "overdose.too_much"),
        ("kratom can cause seizures in kids right? my 3 year old ate one of my capsules", None),
        ("is it true kratom is safe for kids? my toddler ate some of my powder", None),
        ("my son ate his vitamins and some of my kratom capsules", None),
        ("my 4 year old drank his medicine, the whole bottle", None),
        ("my 18 month old got into my kratom", None),
    ],
)
def test_a_negation_or_a_question_never_talks_an_emergency_down(
    screen: CrisisScreen, text: str, rule: str | None
) -> None:
    """The words that cancel one rule's hit ("i dont want to die") leave the next one alone."""
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, "overdose")
    assert d.rule_id == (rule or "overdose.child_swallowed")


@pytest.mark.parametrize(
    "text", ["i'm tired of living in this world", "tired of life at this point honestly"]
)
def test_being_tired_of_living_is_still_a_wish_to_die(screen: CrisisScreen, text: str) -> None:
    assert screen.screen(text).category == "suicide"


@pytest.mark.parametrize(
    "text",
    [
        "i want to cut myself. didnt do it yet but i will",
        "i want to hurt myself, didnt do it but i might tonight",
        "i want to cut myself, the urge was gone for a week but its back",
        "i want to hurt myself. it had passed but now im worse",
    ],
)
def test_an_urge_that_is_not_over_is_answered_at_once(screen: CrisisScreen, text: str) -> None:
    """Words that sound like an ending ("didnt do it", "was gone") beside words that say
    it is not over: the full self-harm answer, not a question."""
    d = screen.screen(text)
    assert (d.action, d.category) == (Action.RESPOND, "self_harm")


@pytest.mark.parametrize(
    "text",
    [
        "i meant done with kratom not done with life",
        "urges to hurt myself: 0. urges to eat cake: 10",
        "estoy cansada pero no quiero hacerme daño",
    ],
)
def test_a_denial_or_a_zero_rating_is_not_answered_as_a_crisis(
    screen: CrisisScreen, text: str
) -> None:
    assert screen.screen(text).action is not Action.RESPOND
