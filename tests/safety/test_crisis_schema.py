"""The crisis file read through its pydantic models: each mistake worded, with its line.

tests/safety/test_config.py checks the messages clinicians have always had; these check
the places the models reach that it does not (languages, learned, empty or null keys).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.config import load_crisis_config
from bot.shared.problems import ProblemsFound
from tests.safety.test_config import LEARNED, MINIMAL

LANGUAGE = """\
languages:
  es:
    detect: [quiero, estoy]
    messages:
      sos_intro: "Puedes comunicarte con:"
    resources:
      lifeline_988:
        name: "Linea 988"
    categories:
      suicide:
        intro: "Gracias por decirme."
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "crisis.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsFound) as info:
        load_crisis_config(path)
    return [f"{p.line}: {p.message}" for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_language_is_read_with_only_the_texts_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "crisis.yaml"
    path.write_text(MINIMAL + LANGUAGE, encoding="utf-8")
    [spanish] = load_crisis_config(path).translations
    assert spanish.code == "es" and spanish.detect == {"quiero", "estoy"}
    assert spanish.messages == {"sos_intro": "Puedes comunicarte con:"}
    assert spanish.resources == {"lifeline_988": {"name": "Linea 988"}}
    assert spanish.intros == {"suicide": "Gracias por decirme."} and spanish.asks == {}


def test_an_unknown_key_in_a_language_lists_the_keys_in_order(tmp_path: Path) -> None:
    text = MINIMAL + LANGUAGE.replace("      sos_intro:", "      sos_intr:")
    [found] = problems(tmp_path, text)
    assert found == (
        f'{line_of(text, "sos_intr:")}: unknown key "sos_intr" in languages.es.messages '
        '(did you mean "sos_intro"?); the keys here are: after_crisis, bot_note, next_step, '
        "next_step_exercise, question_expired, safety_plan_heading, sos_intro, unclear_answer"
    )


def test_a_language_translates_only_what_exists(tmp_path: Path) -> None:
    text = MINIMAL + LANGUAGE.replace("      lifeline_988:", "      lifeline_999:")
    assert problems(tmp_path, text) == [
        f'{line_of(text, "lifeline_999")}: there is no resource "lifeline_999" to translate'
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  ask_at: 1.5", "learned.ask_at must be a number between 0 and 1, like 0.5"),
        ('  ask_at: "0.5"', "learned.ask_at must be a number between 0 and 1, like 0.5"),
        ("  context_minutes: 90", "learned.context_minutes must be 0 to 60 minutes"),
        ("  min_words: 2.5", "learned.min_words must be a whole number, 1 to 10"),
        ("  model: crisis_model.bin", "learned.model names the weights file"),
    ],
)
def test_learned_settings_say_what_they_take(tmp_path: Path, line: str, message: str) -> None:
    key = line.split(":")[0]
    text = "\n".join(
        line if existing.startswith(key + ":") else existing for existing in LEARNED.splitlines()
    )
    found = problems(tmp_path, MINIMAL + text + "\n")
    assert len(found) == 1 and message in found[0], found


def test_a_key_left_empty_is_a_mistake_not_left_out(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "    resources: [lifeline_988]\n", "    resources: [lifeline_988]\n    when_unsure:\n"
    )
    [found] = problems(tmp_path, text)
    assert found.startswith(f"{line_of(text, 'when_unsure:')}: when_unsure of suicide must be")


def test_a_number_is_a_text_and_a_long_button_is_not(tmp_path: Path) -> None:
    path = tmp_path / "crisis.yaml"
    path.write_text(MINIMAL.replace('"Call or text 988."', "988"), encoding="utf-8")
    assert load_crisis_config(path).resource("lifeline_988").how == "988"
    text = MINIMAL.replace('"Back to the menu"', '"' + "Back " * 9 + '"')
    assert problems(tmp_path, text) == [
        f"{line_of(text, 'menu:')}: a button label must fit a phone screen: 40 characters at most"
    ]


def test_the_version_and_a_word_list_say_what_to_write(tmp_path: Path) -> None:
    text = MINIMAL.replace("version: 1", "version: 2").replace("[xanax, benzos]", "[xanax, <x>]")
    assert sorted(problems(tmp_path, text)) == [
        "1: version must be 1",
        '3: "<x>" in a word list must be plain words (no [ ] < > | ...)',
    ]
