"""Rules on a step's texts: content keys exist, placeholders name saved answers."""

from __future__ import annotations

from bot.flow.practice import CONTACT_KEYS, PRACTICE_VARIABLES
from bot.flow.rules.facts import (
    PATIENT_VARIABLES,
    At,
    FlowFacts,
    Report,
    content_keys_of,
    inline_texts_of,
)
from bot.flow.schema import Step
from bot.shared.content import Content, check_template, placeholders
from bot.shared.problems import did_you_mean


def check_texts(
    name: str, step: Step, facts: FlowFacts, content: Content, at: At, report: Report
) -> None:
    known = set(facts.saved) | set(PATIENT_VARIABLES) | set(PRACTICE_VARIABLES)
    for key, where in content_keys_of(step):
        if key not in content:
            report(
                at(name, where),
                f'in step "{name}": there is no text "{key}" in content/'
                + did_you_mean(key, content.keys()),
            )
            continue
        for var in placeholders(content.get(key)):
            if var == "practice.contact":
                _check_contact_texts(name, key, content, at(name, where), report)
            if var not in known:
                text = content.texts[key]
                report(
                    at(name, where),
                    f'in step "{name}": the text "{key}" ({text.file}:{text.line}) shows {{{var}}}, '
                    f"which this flow never saves" + did_you_mean(var, known),
                )
    for inline, where in inline_texts_of(step):
        problem = check_template(inline)
        if problem:
            report(at(name, where), f'in step "{name}": {problem}')
        for var in placeholders(inline):
            if var not in known:
                report(
                    at(name, where),
                    f'in step "{name}": {{{var}}} is never saved in this flow'
                    + did_you_mean(var, known),
                )


def _check_contact_texts(name: str, key: str, content: Content, line: int, report: Report) -> None:
    """{practice.contact} is made from one text per case; each one must be written."""
    for needed in CONTACT_KEYS.values():
        if needed not in content:
            report(
                line,
                f'in step "{name}": the text "{key}" shows {{practice.contact}}, which needs '
                f'the text "{needed}" (how the practice\'s phone numbers read); add it',
            )
