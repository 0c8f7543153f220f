"""The two layers' decision: answer, ask, or let through (no model needed: plain values)."""

import dataclasses

from bot.safety.asking import LearnedSettings
from bot.safety.decision import Action, RecentSignal, decide
from bot.safety.detector import Hit
from bot.safety.learned import NOTHING, Prediction

SETTINGS = LearnedSettings(
    "m.npz",
    ask_at=0.5,
    keep_uncertain_at=0.2,
    context_at=0.6,
    context_minutes=10,
    min_words=3,
    exercise_ask_at=0.9,
)
URGENCY = ["overdose", "suicide", "self_harm", "harm_to_others", "abuse", "concern"]


def predicted(p: float, category: str = "suicide") -> Prediction:
    return Prediction(category, p, {"none": 1 - p, category: p})


def hit(category: str, rule: str, uncertain: str | None = None, start: int = 0) -> Hit:
    return Hit(start, start + 5, category, rule, uncertain)


def test_a_clear_hit_is_answered_at_once_whatever_the_model_says() -> None:
    d = decide([hit("suicide", "suicide.kms")], predicted(0.01), SETTINGS, urgency=URGENCY)
    assert (d.action, d.category, d.rule_id, d.layer) == (
        Action.RESPOND,
        "suicide",
        "suicide.kms",
        "rules",
    )
    d = decide([hit("suicide", "suicide.kms")], predicted(0.9), SETTINGS, urgency=URGENCY)
    assert d.layer == "both"


def test_the_most_urgent_clear_hit_wins() -> None:
    hits = [hit("abuse", "abuse.x", start=0), hit("overdose", "overdose.y", start=9)]
    assert decide(hits, NOTHING, SETTINGS, urgency=URGENCY).category == "overdose"


def test_an_asking_category_asks_even_when_clear() -> None:
    d = decide(
        [hit("concern", "concern.cant")], NOTHING, SETTINGS, urgency=URGENCY, asks_first={"concern"}
    )
    assert (d.action, d.category) == (Action.ASK, "concern")


def test_an_uncertain_hit_asks_its_own_category_unless_the_model_lets_it_go() -> None:
    h = hit("overdose", "overdose.mix", uncertain="uncertain.past.used_to")
    d = decide([h], predicted(0.3, "overdose"), SETTINGS, urgency=URGENCY)
    assert (d.action, d.category, d.uncertain) == (Action.ASK, "overdose", "uncertain.past.used_to")
    assert decide([h], predicted(0.05, "overdose"), SETTINGS, urgency=URGENCY).action is Action.NONE


def test_a_clear_hit_beats_an_uncertain_one() -> None:
    hits = [hit("overdose", "o", uncertain="uncertain.past.used_to"), hit("suicide", "s", start=20)]
    d = decide(hits, predicted(0.1), SETTINGS, urgency=URGENCY)
    assert (d.action, d.category) == (Action.RESPOND, "suicide")


def test_the_learned_layer_alone_only_asks() -> None:
    d = decide([], predicted(0.93, "abuse"), SETTINGS, urgency=URGENCY)
    assert (d.action, d.category, d.layer) == (Action.ASK, "abuse", "learned")
    assert decide([], predicted(0.49), SETTINGS).action is Action.NONE
    assert decide([], predicted(0.9), None).action is Action.NONE


def test_recent_messages_are_read_together_within_the_window() -> None:
    recent = [RecentSignal(2.0, 0.4, "suicide")]
    d = decide([], predicted(0.4, "overdose"), SETTINGS, recent)
    assert (d.action, d.layer) == (Action.ASK, "context")  # 1 - 0.6 * 0.6 = 0.64
    assert (
        decide([], predicted(0.4), SETTINGS, [RecentSignal(11.0, 0.4, "suicide")]).action
        is Action.NONE
    )
    assert decide([], predicted(0.1), SETTINGS, recent).action is Action.NONE  # this one is calm


def test_context_takes_the_category_of_the_stronger_message() -> None:
    d = decide([], predicted(0.3, "overdose"), SETTINGS, [RecentSignal(1.0, 0.45, "suicide")])
    assert d.category == "suicide"


def test_logged_fields_carry_no_words_only_kinds_ids_and_bands() -> None:
    d = decide([], predicted(0.93, "abuse"), SETTINGS)
    assert d.log_fields() == {
        "action": "ask",
        "category": "abuse",
        "layer": "learned",
        "band": "0.9-1.0",
    }


def test_a_clear_hit_gets_a_question_not_nothing_when_the_model_is_all_but_sure() -> None:
    settings = LearnedSettings(
        "m.npz", 0.5, 0.2, 0.6, 10, min_words=3, exercise_ask_at=0.9, veto_below=0.05
    )
    sure_not = predicted(0.01)
    h = [hit("suicide", "suicide.want_to_die")]
    assert decide(h, sure_not, settings, urgency=URGENCY, words=8).action is Action.ASK
    assert decide(h, sure_not, settings, urgency=URGENCY, words=2).action is Action.RESPOND
    assert decide(h, predicted(0.06), settings, urgency=URGENCY, words=8).action is Action.RESPOND
    overdose = [hit("overdose", "overdose.too_much")]
    assert decide(overdose, sure_not, settings, urgency=URGENCY, words=8).action is Action.RESPOND


def test_a_negation_or_a_joke_is_asked_about_never_let_go() -> None:
    for kind in ("uncertain.negated.never", "uncertain.joke.laughing"):
        h = [hit("suicide", "suicide.kms", uncertain=kind)]
        assert decide(h, predicted(0.01), SETTINGS, urgency=URGENCY).action is Action.ASK


def test_inside_an_exercise_the_learned_layer_alone_needs_a_higher_score() -> None:
    assert decide([], predicted(0.7), SETTINGS, in_exercise=True).action is Action.NONE
    assert decide([], predicted(0.95), SETTINGS, in_exercise=True).action is Action.ASK
    assert decide([], predicted(0.7), SETTINGS, words=2).action is Action.NONE


MENTIONING = dataclasses.replace(
    SETTINGS, mentions=frozenset({"suicide.word"}), let_go_negated_below=0.15
)


def test_a_hit_that_only_names_the_subject_is_read_with_the_learned_layer() -> None:
    mention = [hit("suicide", "suicide.word")]
    d = decide(mention, predicted(0.8), MENTIONING, urgency=URGENCY)
    assert (d.action, d.category, d.layer) == (Action.RESPOND, "suicide", "both")
    d = decide(mention, predicted(0.3), MENTIONING, urgency=URGENCY)
    assert (d.action, d.category, d.rule_id) == (Action.ASK, "suicide", "suicide.word")
    assert decide(mention, predicted(0.1), MENTIONING, urgency=URGENCY).action is Action.NONE
    # Without a model the rules alone answer it, as before.
    assert decide(mention, NOTHING, None, urgency=URGENCY).action is Action.RESPOND
    # A rule not listed as a mention is answered at once whatever the model says.
    clear = [hit("suicide", "suicide.kms")]
    assert decide(clear, predicted(0.1), MENTIONING, urgency=URGENCY).action is Action.RESPOND


def test_a_mention_too_short_for_the_model_to_read_is_asked_about_however_low_it_scores() -> None:
    mention = [hit("abuse", "abuse.topic")]
    settings = dataclasses.replace(MENTIONING, mentions=frozenset({"abuse.topic"}))
    d = decide(mention, predicted(0.01, "abuse"), settings, urgency=URGENCY, words=2)
    assert (d.action, d.category, d.rule_id) == (Action.ASK, "abuse", "abuse.topic")
    # Long enough to read: the model's low score lets it go ("the hotline number, just in case").
    long = decide(mention, predicted(0.01, "abuse"), settings, urgency=URGENCY, words=8)
    assert long.action is Action.NONE


def test_a_clear_hit_beside_a_mention_still_answers_at_once() -> None:
    hits = [hit("suicide", "suicide.word"), hit("suicide", "suicide.kms", start=9)]
    d = decide(hits, predicted(0.1), MENTIONING, urgency=URGENCY)
    assert (d.action, d.rule_id) == (Action.RESPOND, "suicide.kms")


def test_a_negated_hit_is_let_go_only_when_the_model_is_all_but_sure() -> None:
    hits = [hit("suicide", "suicide.kms", "uncertain.negated.never")]
    assert decide(hits, predicted(0.1), MENTIONING, urgency=URGENCY).action is Action.NONE
    assert decide(hits, predicted(0.2), MENTIONING, urgency=URGENCY).action is Action.ASK
    # Left out (0): always asked, as before.
    assert decide(hits, predicted(0.01), SETTINGS, urgency=URGENCY).action is Action.ASK


def test_a_joking_hit_is_always_asked_about_however_sure_the_model_is() -> None:
    # "i want to kms lol": a joke word can carry a real wish, so the coach asks directly.
    hits = [hit("suicide", "suicide.kms", "uncertain.joke.laughing")]
    for score in (0.0, 0.1, 0.3):
        assert decide(hits, predicted(score), MENTIONING, urgency=URGENCY).action is Action.ASK


def test_a_joke_about_hurting_someone_is_let_go_like_a_negation_but_not_one_about_dying() -> None:
    # "i could strangle him lol": let go when the model is all but sure; a threat at home
    # laughed off, or "i want to die lol", is still asked about.
    joking = "uncertain.joke.laughing"
    others = [hit("harm_to_others", "harm_to_others.intent", joking)]
    assert decide(others, predicted(0.1), MENTIONING, urgency=URGENCY).action is Action.NONE
    assert decide(others, predicted(0.3), MENTIONING, urgency=URGENCY).action is Action.ASK
    for category in ("suicide", "self_harm", "overdose", "abuse"):
        hits = [hit(category, f"{category}.x", joking)]
        assert decide(hits, predicted(0.01), MENTIONING, urgency=URGENCY).action is Action.ASK


def test_words_after_a_hit_that_say_it_is_over_are_let_go_like_the_past() -> None:
    for kind in ("uncertain.resolved.passed", "uncertain.long_ago.years"):
        hits = [hit("self_harm", "self_harm.myself", kind)]
        assert decide(hits, predicted(0.1), SETTINGS, urgency=URGENCY).action is Action.NONE
        assert decide(hits, predicted(0.3), SETTINGS, urgency=URGENCY).action is Action.ASK


LONG_READ = dataclasses.replace(SETTINGS, veto_below=0.05, dismiss_min_words=10, dismiss_below=0.05)


def test_a_long_message_the_model_is_all_but_sure_of_lets_a_hit_go_but_never_an_overdose() -> None:
    sure_not, unsure = predicted(0.01), predicted(0.06)
    for hits in (
        [hit("suicide", "suicide.want_to_die")],
        [hit("abuse", "abuse.not_safe", "uncertain.negated.never")],
        [hit("concern", "concern.cant_go_on")],
    ):
        assert decide(hits, sure_not, LONG_READ, urgency=URGENCY, words=12).action is Action.NONE
        assert decide(hits, unsure, LONG_READ, urgency=URGENCY, words=12).action is not Action.NONE
    # A shorter message keeps the question ("I was raped" scores low and is never let go).
    clear = [hit("suicide", "suicide.want_to_die")]
    assert decide(clear, sure_not, LONG_READ, urgency=URGENCY, words=9).action is Action.ASK
    # Off (0) by default: the question, as before.
    assert (
        decide(
            clear,
            sure_not,
            dataclasses.replace(LONG_READ, dismiss_min_words=0),
            urgency=URGENCY,
            words=30,
        ).action
        is Action.ASK
    )
    overdose = [hit("overdose", "overdose.seizure")]
    d = decide(overdose, sure_not, LONG_READ, urgency=URGENCY, words=30)
    assert (d.action, d.category) == (Action.RESPOND, "overdose")


def test_a_long_message_may_be_let_go_at_a_higher_score_than_a_short_one_is_asked() -> None:
    settings = dataclasses.replace(LONG_READ, dismiss_below=0.15)
    clear, low = [hit("abuse", "abuse.hurts_me")], predicted(0.1, "abuse")
    assert decide(clear, low, settings, urgency=URGENCY, words=12).action is Action.NONE
    # A short message the model scores as low is still answered: 0.1 is over veto_below.
    d = decide(clear, low, settings, urgency=URGENCY, words=4)
    assert (d.action, d.category) == (Action.RESPOND, "abuse")


def test_the_past_before_an_overdose_still_lets_it_go() -> None:
    # (An ending after an overdose or suicide hit is never found: tests/safety/test_screen.py.)
    past = [hit("overdose", "overdose.bad_mix", "uncertain.past.used_to")]
    assert decide(past, predicted(0.1), SETTINGS, urgency=URGENCY).action is Action.NONE
