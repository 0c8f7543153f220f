from pathlib import Path

import pytest

from bot.safety.config import load_crisis_config
from bot.safety.validate import validate_crisis_file
from bot.shared.problems import ProblemsFound

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "crisis.yaml"

MINIMAL = """\
version: 1
word_lists:
  sedatives: [xanax, benzos]
messages:
  sos_intro: "Here is who you can contact:"
  bot_note: "I'm an automated coach."
  safety_plan_heading: "Your safety plan"
  next_step_exercise: "When you're ready:"
  next_step: "What next?"
buttons:
  book: "Book an appointment"
  resume: "Go back to the exercise"
  sos: "Show the resources again"
  stop: "Stop the exercise for now"
  menu: "Back to the menu"
resources:
  lifeline_988:
    name: "988 Suicide & Crisis Lifeline"
    how: "Call or text 988."
categories:
  suicide:
    intro: "Thank you for telling me."
    resources: [lifeline_988]
    rules:
      - id: suicide.want_to_die
        match:
          - "[want|wanna] to die"
          - "kratom ... <sedatives>"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crisis.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ProblemsFound) as info:
        load_crisis_config(path)
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_shipped_file_is_valid() -> None:
    assert validate_crisis_file(SHIPPED) == []
    cfg = load_crisis_config(SHIPPED)
    assert [c.name for c in cfg.categories][:2] == ["overdose", "suicide"]


def test_minimal_file_loads(tmp_path: Path) -> None:
    cfg = load_crisis_config(write(tmp_path, MINIMAL))
    assert cfg.category("suicide").resources == ("lifeline_988",)
    assert cfg.resource("lifeline_988").how == "Call or text 988."
    assert validate_crisis_file(tmp_path / "crisis.yaml") == []


def test_bad_pattern_says_which_why_and_what_to_write(tmp_path: Path) -> None:
    text = MINIMAL.replace('"[want|wanna] to die"', '"(want|wanna) to die"')
    path = write(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:{line_of(text, '(want|wanna)')}: ")
    assert '"(want|wanna) to die"' in problem and "suicide.want_to_die" in problem
    assert "[a|b]" in problem


@pytest.mark.parametrize(
    ("phrase", "hint"),
    [
        ("[want|wanna to die", 'add "]"'),
        ("want] to die", 'no "["'),
        ("kratom ... <sedative>", 'did you mean "sedatives"'),
        ("... to die", '"..." must come between words'),
        ("o*", "at least 3 letters"),
        ("[really|] want to die", "cannot start with an optional word"),
        ("!!!", "no letters"),
    ],
)
def test_phrase_errors(tmp_path: Path, phrase: str, hint: str) -> None:
    text = MINIMAL.replace('"[want|wanna] to die"', f'"{phrase}"')
    path = write(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:{line_of(text, phrase)}: ")
    assert hint in problem


def test_category_without_resources(tmp_path: Path) -> None:
    text = MINIMAL.replace("    resources: [lifeline_988]\n", "    resources: []\n")
    path = write(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:{line_of(text, 'resources: []')}: ")
    assert "has no resources" in problem


def test_unknown_resource(tmp_path: Path) -> None:
    text = MINIMAL.replace("[lifeline_988]", "[lifeline_988, lifeline_989]")
    path = write(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:{line_of(text, 'lifeline_989')}: ")
    assert '"lifeline_989", which does not exist' in problem
    assert 'did you mean "lifeline_988"' in problem


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = MINIMAL.replace("        match:\n", "        matches:\n")
    path = write(tmp_path, text)
    found = problems_of(path)
    line = line_of(text, "matches:")
    assert any(
        p.startswith(f"{path}:{line}: ")
        and 'unknown key "matches"' in p
        and 'did you mean "match"' in p
        for p in found
    ), found
    assert any('needs a "match:" key' in p for p in found)


def test_duplicate_rule_ids_and_empty_list(tmp_path: Path) -> None:
    text = MINIMAL + ("      - id: suicide.want_to_die\n        match: []\n")
    path = write(tmp_path, text)
    found = problems_of(path)
    dup_line = len(text.splitlines()) - 1
    assert any(
        p.startswith(f"{path}:{dup_line}: ") and "used twice (first on line" in p for p in found
    ), found
    assert any("empty list" in p for p in found), found


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("[lifeline_988]", "[nope]")
        .replace('"[want|wanna] to die"', '"want to (die)"')
        .replace("  book:", "  bok:")
    )
    found = problems_of(write(tmp_path, text))
    assert len(found) >= 4, found  # unknown resource, bad phrase, unknown key, missing key
    assert any('did you mean "book"' in p for p in found)


def test_url_must_be_web_link(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '    how: "Call or text 988."\n',
        '    how: "Call or text 988."\n    url: "tel:988"\n    url_label: "Call"\n',
    )
    [problem] = problems_of(write(tmp_path, text))
    assert "https://" in problem


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  broken: [unclosed\n")
    found = validate_crisis_file(path)
    assert found and found[0].file == str(path) and found[0].line > 1


ASKING = """\
  concern:
    ask: "Are you having thoughts of ending your life?"
    yes_button: "Yes"
    no_button: "No"
    if_yes: suicide
    if_no: "Thank you for answering."
    rules:
      - id: concern.words
        match:
          - "no way out"
"""


def test_a_category_that_asks_first_loads_last_with_its_answers(tmp_path: Path) -> None:
    config = load_crisis_config(write(tmp_path, MINIMAL + ASKING))
    concern = config.category("concern")
    assert concern.ask and concern.if_yes == "suicide" and concern.resources == ()


def test_a_category_that_asks_first_must_name_a_real_if_yes_and_come_last(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "categories:\n", "categories:\n" + ASKING.replace("if_yes: suicide", "if_yes: suicid")
    )
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert any(
        f":{line_of(text, 'if_yes: suicid')}: " in p and 'did you mean "suicide"' in p
        for p in problems
    )
    assert any("must come last" in p for p in problems)


def test_a_normal_category_without_intro_says_what_to_add(tmp_path: Path) -> None:
    text = MINIMAL.replace('    intro: "Thank you for telling me."\n', "")
    [problem] = problems_of(write(tmp_path, text))
    assert 'needs a "intro:" key' in problem


LEARNED = """\
learned:
  model: crisis_model.npz
  ask_at: 0.65
  keep_uncertain_at: 0.5
  context_at: 0.7
  context_minutes: 10
  min_words: 3
  exercise_ask_at: 0.85
  veto_below: 0.05
"""


def test_mentions_and_the_negation_bar_are_read(tmp_path: Path) -> None:
    text = MINIMAL + LEARNED + "  mentions: [suicide.want_to_die]\n  let_go_negated_below: 0.2\n"
    learned = load_crisis_config(write(tmp_path, text)).learned
    assert learned is not None
    assert learned.mentions == {"suicide.want_to_die"} and learned.let_go_negated_below == 0.2
    plain = load_crisis_config(write(tmp_path, MINIMAL + LEARNED)).learned
    assert plain is not None and plain.mentions == frozenset() and plain.let_go_negated_below == 0


def test_a_mention_of_no_rule_is_named_with_its_line(tmp_path: Path) -> None:
    text = MINIMAL + LEARNED + "  mentions: [suicide.want_to_dye]\n  let_go_negated_below: 2\n"
    found = problems_of(write(tmp_path, text))
    assert (
        f'crisis.yaml:{line_of(text, "mentions:")}: learned.mentions names no rule "suicide.want_to_dye"'
        in "\n".join(found)
    )
    assert any("learned.let_go_negated_below must be a number between 0 and 1" in p for p in found)


def test_the_long_message_bar_is_the_veto_unless_set(tmp_path: Path) -> None:
    plain = load_crisis_config(write(tmp_path, MINIMAL + LEARNED)).learned
    assert plain is not None and plain.dismiss_below == 0.05
    text = MINIMAL + LEARNED + "  dismiss_below: 0.15\n"
    learned = load_crisis_config(write(tmp_path, text)).learned
    assert learned is not None and (learned.veto_below, learned.dismiss_below) == (0.05, 0.15)
    found = problems_of(write(tmp_path, MINIMAL + LEARNED + "  dismiss_below: high\n"))
    assert any("learned.dismiss_below must be a number between 0 and 1" in p for p in found)
