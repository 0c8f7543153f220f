import html
import re
from pathlib import Path

import pytest

from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.response import MAX_MESSAGE_CHARS, crisis_messages
from bot.shared.messages import Button

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfg() -> CrisisConfig:
    return load_crisis_config(ROOT / "content" / "crisis.yaml")


def buttons(message) -> list[Button]:  # type: ignore[no-untyped-def]
    return [b for row in message.buttons for b in row]


def test_suicide_resources_with_exact_numbers(cfg: CrisisConfig) -> None:
    first, *_ = crisis_messages("suicide", cfg, booking_url=None)
    assert "988" in first.text and "988lifeline.org" in first.text
    assert "Text HOME to 741741" in first.text
    assert "911" in first.text
    assert first.text.index("988") < first.text.index("741741")


def test_overdose_resources(cfg: CrisisConfig) -> None:
    first = crisis_messages("overdose", cfg, booking_url=None)[0]
    assert "911" in first.text
    assert "1-800-222-1222" in first.text
    assert first.text.index("911") < first.text.index("1-800-222-1222")


def test_abuse_resources(cfg: CrisisConfig) -> None:
    first = crisis_messages("abuse", cfg, booking_url=None)[0]
    assert "1-800-799-7233" in first.text and "START to 88788" in first.text


def test_sos_shows_every_resource(cfg: CrisisConfig) -> None:
    text = "\n".join(m.text for m in crisis_messages(None, cfg, booking_url=None)[:-1])
    for number in (
        "988",
        "741741",
        "911",
        "1-800-222-1222",
        "1-800-662-4357",
        "1-800-799-7233",
        "88788",
    ):
        assert number in text
    assert "not a crisis line" in text


def test_sos_puts_the_safety_plan_first_and_sanitises_it(cfg: CrisisConfig) -> None:
    plan = "1. Call <b>Ana</b> & breathe <script>x</script>"
    messages = crisis_messages(None, cfg, booking_url=None, safety_plan_html=plan)
    assert "Your safety plan" in messages[0].text
    assert "<b>Ana</b>" in messages[0].text
    assert "&amp; breathe &lt;script&gt;" in messages[0].text
    assert "988" in messages[1].text


def test_unbalanced_plan_tags_are_dropped(cfg: CrisisConfig) -> None:
    messages = crisis_messages(None, cfg, booking_url=None, safety_plan_html="<b>call Ana")
    assert "<b>call Ana" not in messages[0].text and "call Ana" in messages[0].text


def test_booking_button(cfg: CrisisConfig) -> None:
    messages = crisis_messages("suicide", cfg, booking_url="https://clinic.example/book")
    urls = {b.url: b.label for m in messages for b in buttons(m) if b.url}
    assert urls["https://clinic.example/book"] == "Book an appointment"
    for m in crisis_messages("suicide", cfg, booking_url=None):
        assert all(b.url != "https://clinic.example/book" for b in buttons(m))


def test_url_buttons_are_web_links_only(cfg: CrisisConfig) -> None:
    for category in [None, *(c.name for c in cfg.categories)]:
        for m in crisis_messages(category, cfg, booking_url="javascript:alert(1)"):
            for b in buttons(m):
                assert b.url is None or b.url.startswith(("https://", "http://"))


def test_text_is_escaped(cfg: CrisisConfig) -> None:
    text = crisis_messages("suicide", cfg, booking_url=None)[0].text
    assert "988 Suicide &amp; Crisis Lifeline" in text
    stripped = text.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "")
    assert "<" not in stripped and ">" not in stripped


def test_all_messages_are_crisis_kind(cfg: CrisisConfig) -> None:
    for category in [None, *(c.name for c in cfg.categories)]:
        for in_exercise in (True, False):
            messages = crisis_messages(
                category, cfg, "https://x.example", "<i>plan</i>", in_exercise
            )
            assert messages and all(m.kind == "crisis" for m in messages)


def test_in_exercise_choices(cfg: CrisisConfig) -> None:
    last = crisis_messages("self_harm", cfg, booking_url=None, in_exercise=True)[-1]
    assert [(b.label, b.token) for b in buttons(last)] == [
        ("Go back to the exercise", "sys:resume"),
        ("Show the resources again", "sys:sos"),
        ("Stop the exercise for now", "sys:stop"),
    ]


def test_outside_exercise_choices(cfg: CrisisConfig) -> None:
    last = crisis_messages("self_harm", cfg, booking_url=None)[-1]
    assert [(b.label, b.token) for b in buttons(last)] == [
        ("Show the resources again", "sys:sos"),
        ("Back to the menu", "sys:menu"),
    ]


def test_messages_fit_a_phone(cfg: CrisisConfig) -> None:
    for language in (None, "es"):
        shown = cfg.in_language(language) if language else cfg
        for category in [None, *(c.name for c in cfg.categories)]:
            for m in crisis_messages(category, shown, "https://x.example", "<i>plan</i>"):
                assert len(m.text) <= MAX_MESSAGE_CHARS, (language, category, len(m.text))


def test_a_long_answer_is_split_with_the_help_lines_first_and_nothing_lost(
    cfg: CrisisConfig,
) -> None:
    for language in (None, "es"):
        shown = cfg.in_language(language) if language else cfg
        for category in ("overdose", None):
            messages = crisis_messages(category, shown, "https://x.example")[:-1]
            assert len(messages) >= 2
            resources = (
                shown.resources
                if category is None
                else [shown.resource(r) for r in shown.category(category).resources]
            )
            intro = shown.messages.sos_intro if category is None else shown.category(category).intro
            text = " ".join(m.text for m in messages)
            for sentence in re.split(r"(?<=[.!?])\s+", html.escape(intro, quote=False)):
                assert sentence in text
            lines = [f"<b>{html.escape(r.name, quote=False)}</b>" for r in resources]
            assert all(line in text for line in lines)
            # Every help line comes before the rest of the intro's guidance and the note.
            assert "911" in messages[0].text
            assert max(text.index(line) for line in lines) < text.index(
                html.escape(shown.messages.bot_note, quote=False)
            )
            labels = [b.label for m in messages for b in buttons(m)]
            assert labels.count(shown.buttons.book) == 1
    overdose = crisis_messages("overdose", cfg, None)
    assert "1-800-222-1222" in overdose[0].text and "naloxone" in overdose[0].text
    assert "second dose" in overdose[1].text
