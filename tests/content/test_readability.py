"""Every patient-facing text fits a phone screen and reads at grade 8 or below.

What is measured: every text in content/ (each flow's words, the buttons, the coach's own
texts), the words written inside flows (``text:``), and the replies in content/intents.yaml.
Saved answers (``{name}``) are read as one short word and HTML tags are dropped.

Length: at most 600 characters, one phone screen (issue 14).

Grade: Flesch-Kincaid grade (textstat) at most 8. The formula weighs words per sentence and
syllables per word, so on one or two sentences a single long word ("benzodiazepines",
"naloxone") swings it by several grades: a button or a one-line question says nothing about
how a flow reads. So each text of two or more sentences is measured alone, and every
flow's texts (its content file) are measured together, which catches a flow written above
grade 8 in short pieces. A text of one sentence is measured only with its flow: a button,
a question, or a list of ideas after a colon ("Activities. Do something that takes your
attention: a walk, a shower, ..."), which the formula reads as one long sentence. A line break ends a sentence, as it does on a phone: a list of
commands or skills, one a line, is read line by line, not as one long sentence.

Not measured: content/crisis.yaml. Its help lines are lists of names, numbers and when to
call, not prose; its direct questions keep the Columbia screener's wording, which is not
reworded to reach a grade; its texts have their own tests in tests/safety. Nor the on-call
notices (``system.oncall_*``), which go to the practice's clinicians, not to patients.
Nor, for the grade only, the items of a validated questionnaire (a flow with
``questionnaire:``, PHQ-9, PC-PTSD-5...): their wording is the instrument's, kept verbatim,
and rewording it to reach a grade would void the score. Their length is still measured.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import textstat

from bot.flow.library import FlowLibrary
from bot.flow.rules import say_items
from bot.flow.schema import SayText
from bot.shared.yamlio import read_yaml
from tests.flow.helpers import DEMO_CONTENT, GOOD_FLOW, make_library

ROOT = Path(__file__).resolve().parents[2]
MAX_CHARACTERS = 600
MAX_GRADE = 8.0
#: Texts measured alone from this many sentences on (see the module docstring).
SENTENCES_ALONE = 2
NOT_FOR_PATIENTS = ("system.oncall_",)


def plain(text: str) -> str:
    """The text as a patient reads it: tags dropped, each saved answer one short word."""
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\{[A-Za-z_][A-Za-z0-9_.]*\}", "it", text).replace("{{", "{").replace("}}", "}")


def as_sentences(text: str) -> str:
    """A line break ends a sentence, as on a phone screen (lists are read line by line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".?!:" else line + "." for line in lines)


def patient_texts(library: FlowLibrary) -> Iterator[tuple[str, str, str]]:
    """(where, group, text) for every text a patient can be sent."""
    for key, found in library.content.texts.items():
        if not key.startswith(NOT_FOR_PATIENTS):
            yield f"{found.file}:{found.line} ({key})", found.file, plain(found.text)
    for compiled in library.flows.values():
        for name, step in compiled.flow.steps.items():
            written = [i.text for i in say_items(step) if isinstance(i, SayText)]
            written += [step.text] if step.text else []
            written += [o.text for o in step.options or () if o.text]
            for text in written:
                yield f"{compiled.file} (step {name})", compiled.file, plain(text)
    intents = read_yaml(ROOT / "content" / "intents.yaml")
    for i, intent in enumerate(intents.data["intents"]):
        line = intents.line_of(("intents", i, "reply"))
        yield f"content/intents.yaml:{line} ({intent['id']})", "intents", plain(intent["reply"])


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(as_sentences(text)))


def too_long(library: FlowLibrary) -> list[str]:
    return [
        f"{where}: {len(text)} characters"
        for where, _, text in patient_texts(library)
        if len(text) > MAX_CHARACTERS
    ]


def test_no_text_is_longer_than_one_phone_screen(library: FlowLibrary) -> None:
    long = too_long(library)
    assert long == [], "shorten these to 600 characters or split them:\n" + "\n".join(long)


def too_hard(library: FlowLibrary) -> list[str]:
    """Texts of two or more sentences above grade 8 (a questionnaire's verbatim items aside)."""
    verbatim = {c.file for c in library.flows.values() if c.flow.questionnaire is not None}
    return [
        f"{where}: grade {grade(text):.1f}"
        for where, group, text in patient_texts(library)
        if group not in verbatim
        and textstat.sentence_count(as_sentences(text)) >= SENTENCES_ALONE
        and grade(text) > MAX_GRADE
    ]


def test_no_text_of_two_or_more_sentences_reads_above_grade_8(library: FlowLibrary) -> None:
    hard = too_hard(library)
    assert hard == [], "use shorter sentences and plainer words:\n" + "\n".join(hard)


def test_one_hard_text_of_two_sentences_is_named_with_its_line(tmp_path: Path) -> None:
    """One hard text among easy ones: the flow's average would hide it; alone it shows."""
    hard = (
        "Pharmacological interventions notwithstanding, protracted abstinence necessitates "
        "multidisciplinary coordination. Individualized modalities are recommended."
    )
    library = make_library(
        tmp_path, {"demo.yaml": GOOD_FLOW}, {"demo.yaml": DEMO_CONTENT + f'hard: "{hard}"\n'}
    )
    (found,) = too_hard(library)
    assert "content/demo.yaml:" in found and "(demo.hard)" in found


def test_no_flow_reads_above_grade_8_as_a_whole(library: FlowLibrary) -> None:
    groups: dict[str, list[str]] = {}
    for _, group, text in patient_texts(library):
        groups.setdefault(group, []).append(as_sentences(text))
    hard = {g: grade("\n".join(t)) for g, t in groups.items() if grade("\n".join(t)) > MAX_GRADE}
    assert hard == {}, f"these read above grade 8 taken together: {hard}"


@pytest.mark.parametrize(
    ("text", "too_hard"),
    [
        ("Take a slow breath. Feel your feet on the floor. You are safe right now.", False),
        (
            "Pharmacological interventions notwithstanding, protracted abstinence syndrome "
            "necessitates multidisciplinary coordination. Comprehensive evaluation remains "
            "indispensable. Individualized therapeutic modalities are recommended.",
            True,
        ),
    ],
)
def test_the_measure_tells_plain_words_from_hard_ones(text: str, too_hard: bool) -> None:
    assert (grade(text) > MAX_GRADE) is too_hard


def test_a_text_over_600_characters_is_named_with_its_line(tmp_path: Path) -> None:
    long = "A calm word. " * 50
    library = make_library(
        tmp_path, {"demo.yaml": GOOD_FLOW}, {"demo.yaml": DEMO_CONTENT + f'long: "{long}"\n'}
    )
    (found,) = [w for w in too_long(library) if "demo.long" in w]
    assert "content/demo.yaml:" in found and f"{len(long.strip())} characters" in found
