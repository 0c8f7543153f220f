"""Load ``content/crisis.yaml`` into typed, frozen objects, reporting every problem at once.

The file is read in three stages: its shape by the pydantic models of
``bot.safety.crisis_schema`` (their errors worded by ``bot.safety.crisis_schema_errors``),
what needs the whole file by ``bot.safety.crisis_checks``, and then, with no problem
left, the objects below that the detector and the answers use.

The crisis file is edited by clinicians. A mistake in it must never mean that a patient
in danger gets no answer, so the bot refuses to start on a broken file and says, for each
problem, the file, the line and what to write instead.

Phrases use a small language rather than regular expressions (see the comments at the top
of ``content/crisis.yaml``)::

    [want|wanna|need] to die        choices in square brackets, separated by |
    i [really|] want to die         an empty choice makes the words optional
    overdos*                        a word starting with "overdos" (at least 3 letters first)
    kratom ... <sedatives>          "..." skips up to 4 words; <name> is a word list
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from bot.safety import crisis_schema as schema
from bot.safety.asking import LearnedSettings, UnsureQuestion
from bot.safety.crisis_checks import Path_, check_crisis_file
from bot.safety.crisis_schema_errors import crisis_schema_problems
from bot.safety.languages import Translation, replace_texts
from bot.safety.normalize import normalize
from bot.safety.phrases import GAP_WORDS, Choice, Gap, PhraseError, PhraseSpec, Rule, parse_phrase
from bot.shared.problems import ProblemsFound
from bot.shared.yamlio import read_yaml

__all__ = [
    "GAP_WORDS",
    "ButtonLabels",
    "Category",
    "Choice",
    "CrisisConfig",
    "Gap",
    "Messages",
    "PhraseError",
    "PhraseSpec",
    "Resource",
    "Rule",
    "load_crisis_config",
    "parse_phrase",
]


@dataclass(frozen=True)
class Resource:
    """A place to get help: ``how`` carries the number to call or text."""

    id: str
    name: str
    how: str
    url: str | None = None
    url_label: str | None = None


@dataclass(frozen=True)
class Category:
    """A kind of crisis: what to say first, which resources to show, what triggers it."""

    name: str
    intro: str
    resources: tuple[str, ...]
    rules: tuple[Rule, ...]
    #: A category that asks first (worrying words, unclear meaning): the direct question,
    #: its two buttons, the category whose help a "yes" gets, and the words for a "no".
    ask: str | None = None
    yes_button: str = ""
    no_button: str = ""
    if_yes: str = ""
    if_no: str = ""
    #: The direct question asked when a hit is uncertain (``when_unsure:``).
    when_unsure: UnsureQuestion | None = None


@dataclass(frozen=True)
class Messages:
    """Fixed texts around the resources."""

    sos_intro: str
    bot_note: str
    safety_plan_heading: str
    next_step_exercise: str
    next_step: str
    #: Said to a typed message while an exercise waits after a crisis answer. Left empty in
    #: English (the coach's own text in system.yaml says it); a language gives its words.
    after_crisis: str = ""
    #: Leads the help lines offered again when a direct question went unanswered.
    question_expired: str = ""
    #: Leads the help lines, in place of the category's intro, for no clear answer.
    unclear_answer: str = ""


@dataclass(frozen=True)
class ButtonLabels:
    """Labels of the buttons under crisis messages (the tokens are fixed in code)."""

    book: str
    resume: str
    sos: str
    stop: str
    menu: str
    #: The button under the patient's plan in a crisis answer (optional: no button).
    plan: str = ""


@dataclass(frozen=True)
class CrisisConfig:
    """The whole crisis file. ``categories`` are in order of urgency, most urgent first."""

    file: str
    categories: tuple[Category, ...]
    resources: tuple[Resource, ...]
    not_crisis: tuple[Rule, ...]
    fuzzy_words: tuple[str, ...]
    fuzzy_never: tuple[str, ...]
    messages: Messages
    buttons: ButtonLabels
    uncertain: tuple[Rule, ...] = ()
    learned: LearnedSettings | None = None
    translations: tuple[Translation, ...] = ()
    _by_name: Mapping[str, Category] = field(default_factory=dict, repr=False, compare=False)
    _by_id: Mapping[str, Resource] = field(default_factory=dict, repr=False, compare=False)

    def category(self, name: str) -> Category:
        """The category called ``name`` (KeyError if none)."""
        return self._by_name[name]

    def resource(self, resource_id: str) -> Resource:
        """The resource with this id (KeyError if none)."""
        return self._by_id[resource_id]

    def in_language(self, code: str | None) -> CrisisConfig:
        """This file with the texts of language ``code`` (itself for English or unknown)."""
        for t in self.translations:
            if t.code == code:
                return _translated(self, t)
        return self

    def question_for(self, category: str) -> tuple[str, UnsureQuestion] | None:
        """The category whose direct question ``category`` gets when unsure, and the question.

        A category without ``when_unsure:`` borrows the question of the category that asks
        first (``concern``), so an uncertain hit is never left without a question.
        """
        cat = self._by_name.get(category)
        if cat is not None and cat.when_unsure is not None:
            return category, cat.when_unsure
        for other in self.categories:
            if other.ask is not None:
                return other.name, UnsureQuestion(
                    other.ask, other.yes_button, other.no_button, other.if_no
                )
        return None


# --- the file ---------------------------------------------------------------------------


def load_crisis_config(path: Path | str) -> CrisisConfig:
    """Read and check the crisis file; raise ProblemsFound listing every problem."""
    located = read_yaml(path)
    problems = []
    shape: schema.CrisisFile | None = None
    try:
        shape = schema.CrisisFile.model_validate(located.data)
    except ValidationError as exc:
        problems = crisis_schema_problems(exc, located)
    checked = check_crisis_file(located)
    problems += checked.problems
    if problems or shape is None:
        # In the file's order: the models' and the checks' problems are found apart.
        raise ProblemsFound(sorted(problems, key=lambda p: p.line))
    return _built(shape, checked.rules, located.file)


def _built(shape: schema.CrisisFile, rules: Mapping[Path_, Rule], file: str) -> CrisisConfig:
    """The loaded objects of a file the models and the checks found no problem in."""
    categories = tuple(
        _category(name, cat, _rules_of(rules, ("categories", name, "rules")))
        for name, cat in shape.categories.items()
    )
    resources = tuple(
        Resource(rid, res.name, res.how, res.url or None, res.url_label or None)
        for rid, res in shape.resources.items()
    )
    fuzzy = shape.fuzzy
    return CrisisConfig(
        file=file,
        categories=categories,
        resources=resources,
        not_crisis=_rules_of(rules, ("not_crisis",)),
        fuzzy_words=tuple(normalize(w) for w in fuzzy.words) if fuzzy else (),
        fuzzy_never=tuple(normalize(w) for w in fuzzy.never) if fuzzy else (),
        messages=Messages(**shape.messages.model_dump()),
        buttons=ButtonLabels(**shape.buttons.model_dump()),
        uncertain=_rules_of(rules, ("uncertain",)),
        learned=_learned(shape.learned),
        translations=tuple(_translation(code, lang) for code, lang in shape.languages.items()),
        _by_name={c.name: c for c in categories},
        _by_id={res.id: res for res in resources},
    )


def _rules_of(rules: Mapping[Path_, Rule], under: Path_) -> tuple[Rule, ...]:
    """The rules of the list at ``under``, in the file's order."""
    return tuple(rule for path, rule in rules.items() if path[:-1] == under)


def _category(
    name: str, cat: schema.AnswerCategory | schema.AskingCategory, rules: tuple[Rule, ...]
) -> Category:
    if isinstance(cat, schema.AskingCategory):
        return Category(
            name,
            "",
            (),
            rules,
            ask=cat.ask,
            yes_button=cat.yes_button,
            no_button=cat.no_button,
            if_yes=cat.if_yes,
            if_no=cat.if_no,
        )
    return Category(
        name, cat.intro, tuple(cat.resources), rules, when_unsure=_question(cat.when_unsure)
    )


def _question(question: schema.Question | None) -> UnsureQuestion | None:
    return UnsureQuestion(**question.model_dump()) if question is not None else None


def _learned(learned: schema.Learned | None) -> LearnedSettings | None:
    if learned is None:
        return None
    fields = learned.model_dump()
    fields["mentions"] = frozenset(learned.mentions)
    fields["context_minutes"] = float(learned.context_minutes)
    if learned.dismiss_below is None:
        fields["dismiss_below"] = learned.veto_below
    return LearnedSettings(**fields)


def _given(model: BaseModel) -> dict[str, str]:
    """The texts a language gives (a text left out is empty: it stays in English)."""
    return {k: v for k, v in model.model_dump().items() if isinstance(v, str) and v}


def _translation(code: str, lang: schema.Language) -> Translation:
    questions = {
        name: q for name, cat in lang.categories.items() if (q := _question(cat.when_unsure))
    }
    asks = {name: _given(cat) for name, cat in lang.categories.items()}
    for texts in asks.values():
        texts.pop("intro", None)
    return Translation(
        code=code,
        detect=frozenset(normalize(w) for w in lang.detect),
        messages=_given(lang.messages),
        buttons=_given(lang.buttons),
        resources={rid: _given(res) for rid, res in lang.resources.items()},
        intros={name: cat.intro for name, cat in lang.categories.items() if cat.intro},
        questions=questions,
        asks={name: texts for name, texts in asks.items() if texts},
    )


def _translated(cfg: CrisisConfig, t: Translation) -> CrisisConfig:
    """``cfg`` with the texts of translation ``t``; what it leaves out stays in English."""
    resources = tuple(replace_texts(res, t.resources.get(res.id, {})) for res in cfg.resources)
    categories = []
    for cat in cfg.categories:
        changed = dict(t.asks.get(cat.name, {}))
        if cat.name in t.intros:
            changed["intro"] = t.intros[cat.name]
        category = replace_texts(cat, changed)
        if cat.name in t.questions:
            category = replace(category, when_unsure=t.questions[cat.name])
        categories.append(category)
    return replace(
        cfg,
        categories=tuple(categories),
        resources=resources,
        messages=replace_texts(cfg.messages, t.messages),
        buttons=replace_texts(cfg.buttons, t.buttons),
        _by_name={c.name: c for c in categories},
        _by_id={res.id: res for res in resources},
    )
