"""Load ``content/crisis.yaml`` into typed, frozen objects, reporting every problem at once.

Over 300 lines: every structural check of the crisis file, each with its line and what to
write instead, lives here until the file is read through pydantic models like the flows.

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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.safety.asking import (
    LearnedSettings,
    UnsureQuestion,
    read_learned,
    read_uncertain,
    read_when_unsure,
)
from bot.safety.languages import Translation, read_languages, replace_texts
from bot.safety.normalize import normalize
from bot.safety.phrases import GAP_WORDS, Choice, Gap, PhraseError, PhraseSpec, Rule, parse_phrase
from bot.safety.reader import Reader, read_rule
from bot.shared.problems import ProblemsFound, did_you_mean
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


_TOP_KEYS = {
    "version": False,
    "word_lists": False,
    "fuzzy": False,
    "messages": True,
    "buttons": True,
    "resources": True,
    "not_crisis": False,
    "categories": True,
    "uncertain": False,
    "learned": False,
    "languages": False,
}
_FUZZY_KEYS = {"words": True, "never": False}
_MESSAGE_KEYS = {
    k: k not in ("after_crisis", "question_expired") for k in Messages.__dataclass_fields__
}
_BUTTON_KEYS = {k: k != "plan" for k in ButtonLabels.__dataclass_fields__}
_RESOURCE_KEYS = {"name": True, "how": True, "url": False, "url_label": False}
_CATEGORY_KEYS = {"intro": False, "resources": False, "when_unsure": False, "rules": True}
_ASKING_KEYS = {
    "ask": True,
    "yes_button": True,
    "no_button": True,
    "if_yes": True,
    "if_no": True,
    "rules": True,
}
_RULE_KEYS = {"id": True, "match": True, "unless": False}
_EXCLUSION_KEYS = {"id": True, "match": True}
_LIST_NAME = re.compile(r"[a-z][a-z0-9_]*")


# --- the file ---------------------------------------------------------------------------


def load_crisis_config(path: Path | str) -> CrisisConfig:
    """Read and check the crisis file; raise ProblemsFound listing every problem."""
    located = read_yaml(path)
    reader = Reader(located)
    config = _read(reader)
    if reader.problems or config is None:
        raise ProblemsFound(reader.problems)
    return config


def _read(r: Reader) -> CrisisConfig | None:
    data = r.mapping(r.y.data, (), _TOP_KEYS, "the crisis file")
    if not data:
        return None
    if "version" in data and data["version"] != 1:
        r.problem(("version",), "version must be 1")

    word_lists: dict[str, tuple[str, ...]] = {}
    raw_lists = data.get("word_lists") or {}
    if not isinstance(raw_lists, dict):
        r.problem(("word_lists",), "word_lists must be names, each with a list of words")
        raw_lists = {}
    for name, words in raw_lists.items():
        if not _LIST_NAME.fullmatch(str(name)):
            r.problem(
                ("word_lists", name),
                f'the list name "{name}" must be lower-case words_with_underscores',
            )
        word_lists[str(name)] = tuple(
            w for w in r.texts(words, ("word_lists", name), f"word list {name}") if w
        )
        for i, w in enumerate(word_lists[str(name)]):
            if re.search(r"[\[\]<>|]|\.\.\.", w):
                r.problem(
                    ("word_lists", name, i),
                    f'"{w}" in a word list must be plain words (no [ ] < > | ...)',
                )

    fuzzy_words: tuple[str, ...] = ()
    fuzzy_never: tuple[str, ...] = ()
    if "fuzzy" in data:
        fuzzy = r.mapping(data["fuzzy"], ("fuzzy",), _FUZZY_KEYS, "fuzzy")
        if "words" in fuzzy:
            words = r.texts(fuzzy["words"], ("fuzzy", "words"), "fuzzy words")
            fuzzy_words = tuple(normalize(w) for w in words)
        if "never" in fuzzy:
            never = r.texts(fuzzy["never"], ("fuzzy", "never"), "fuzzy never")
            fuzzy_never = tuple(normalize(w) for w in never)
    for i, w in enumerate(fuzzy_words):
        if " " in w or not w:
            r.problem(("fuzzy", "words", i), f'fuzzy words are single words; "{w}" is not')

    raw_messages = r.mapping(data.get("messages"), ("messages",), _MESSAGE_KEYS, "messages")
    messages = Messages(
        **{
            k: r.text(raw_messages.get(k, ""), ("messages", k), f"messages.{k}")
            if k in raw_messages
            else ""
            for k in _MESSAGE_KEYS
        }
    )
    raw_buttons = r.mapping(data.get("buttons"), ("buttons",), _BUTTON_KEYS, "buttons")
    buttons = ButtonLabels(
        **{
            k: r.text(raw_buttons.get(k, ""), ("buttons", k), f"buttons.{k}")
            if k in raw_buttons
            else ""
            for k in _BUTTON_KEYS
        }
    )
    for k in _BUTTON_KEYS:
        if len(buttons.__dict__[k]) > 40:
            r.problem(
                ("buttons", k), "a button label must fit a phone screen: 40 characters at most"
            )

    resources = _read_resources(r, data.get("resources"))
    resource_ids = {res.id for res in resources}

    seen_ids: dict[str, int] = {}
    not_crisis: list[Rule] = []
    raw_nc = data.get("not_crisis", [])
    if "not_crisis" in data:
        if not isinstance(raw_nc, list) or not raw_nc:
            r.problem(
                ("not_crisis",),
                "not_crisis must be a non-empty list of rules (id:, match:) or be removed",
            )
            raw_nc = []
        for i, raw in enumerate(raw_nc):
            rule = read_rule(
                r, raw, ("not_crisis", i), "not_crisis", _EXCLUSION_KEYS, word_lists, seen_ids
            )
            if rule:
                not_crisis.append(rule)

    categories: list[Category] = []
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, dict) or not raw_categories:
        r.problem(("categories",), "categories must list at least one category (like suicide:)")
        raw_categories = {}
    for name, raw in raw_categories.items():
        path: tuple[str | int, ...] = ("categories", name)
        if not _LIST_NAME.fullmatch(str(name)):
            r.problem(path, f'the category name "{name}" must be lower-case words_with_underscores')
        if isinstance(raw, dict) and "ask" in raw:
            asking = _read_asking_category(r, str(name), raw, path, word_lists, seen_ids)
            if asking is not None:
                categories.append(asking)
            continue
        cat = r.mapping(raw, path, _CATEGORY_KEYS, f"category {name}")
        for key in ("intro", "resources"):
            if isinstance(raw, dict) and key not in cat:
                r.problem(
                    path, f'category {name} needs a "{key}:" key (or ask: to ask a question first)'
                )
        intro = (
            r.text(cat["intro"], (*path, "intro"), f"the intro of {name}") if "intro" in cat else ""
        )
        res_ids: list[str] = []
        if "resources" in cat:
            if not cat["resources"]:
                r.problem(
                    (*path, "resources"),
                    f"category {name} has no resources; list at least one resource id",
                )
            res_ids = (
                r.texts(cat["resources"] or [], (*path, "resources"), f"the resources of {name}")
                if cat["resources"]
                else []
            )
            for i, rid in enumerate(res_ids):
                if rid and rid not in resource_ids:
                    r.problem(
                        (*path, "resources", i),
                        f'category {name} names the resource "{rid}", which does not exist'
                        f"{did_you_mean(rid, resource_ids)}; add it under resources: or fix the id",
                    )
        rules: list[Rule] = []
        raw_rules = cat.get("rules")
        if "rules" in cat:
            if not isinstance(raw_rules, list) or not raw_rules:
                r.problem(
                    (*path, "rules"),
                    f"category {name} has no rules; add at least one (id:, match:)",
                )
                raw_rules = []
            for i, raw_rule in enumerate(raw_rules):
                rule = read_rule(
                    r, raw_rule, (*path, "rules", i), str(name), _RULE_KEYS, word_lists, seen_ids
                )
                if rule:
                    rules.append(rule)
        unsure = (
            read_when_unsure(r, cat["when_unsure"], (*path, "when_unsure"), str(name))
            if "when_unsure" in cat
            else None
        )
        categories.append(
            Category(str(name), intro, tuple(res_ids), tuple(rules), when_unsure=unsure)
        )

    names = {c.name: c for c in categories}
    for i, asking_cat in enumerate(categories):
        if asking_cat.ask is None:
            continue
        target = names.get(asking_cat.if_yes)
        if target is None or target.ask is not None:
            others = [c.name for c in categories if c.ask is None]
            r.problem(
                ("categories", asking_cat.name, "if_yes"),
                f"if_yes must name a category with resources"
                f"{did_you_mean(asking_cat.if_yes, others)}; "
                f"the categories are: {', '.join(others)}",
            )
        if i != len(categories) - 1 and any(c.ask is None for c in categories[i + 1 :]):
            r.problem(
                ("categories", asking_cat.name),
                f"category {asking_cat.name} asks first, so it must come last "
                "(categories are listed most urgent first)",
            )

    uncertain = (
        read_uncertain(r, data["uncertain"], word_lists, seen_ids) if "uncertain" in data else ()
    )
    learned = read_learned(r, data["learned"]) if "learned" in data else None
    for unknown in sorted(set(learned.mentions) - set(seen_ids)) if learned else ():
        r.problem(("learned", "mentions"), f'learned.mentions names no rule "{unknown}"')
    translations = (
        read_languages(
            r,
            data["languages"],
            _MESSAGE_KEYS,
            _BUTTON_KEYS,
            resource_ids,
            {c.name for c in categories},
        )
        if "languages" in data
        else ()
    )
    return CrisisConfig(
        file=r.y.file,
        uncertain=uncertain,
        learned=learned,
        translations=translations,
        categories=tuple(categories),
        resources=tuple(resources),
        not_crisis=tuple(not_crisis),
        fuzzy_words=fuzzy_words,
        fuzzy_never=fuzzy_never,
        messages=messages,
        buttons=buttons,
        _by_name={c.name: c for c in categories},
        _by_id={res.id: res for res in resources},
    )


def _read_asking_category(
    r: Reader,
    name: str,
    raw: dict[str, Any],
    path: tuple[str | int, ...],
    word_lists: Mapping[str, tuple[str, ...]],
    seen_ids: dict[str, int],
) -> Category | None:
    """A category that asks the patient directly before showing any help."""
    cat = r.mapping(raw, path, _ASKING_KEYS, f"category {name} (it asks first)")
    texts = {
        k: r.text(cat[k], (*path, k), f"{k} of {name}") if k in cat else ""
        for k in _ASKING_KEYS
        if k != "rules"
    }
    for key in ("yes_button", "no_button"):
        if len(texts[key]) > 40:
            r.problem((*path, key), "a button label must fit a phone screen: 40 characters at most")
    rules: list[Rule] = []
    raw_rules = cat.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        r.problem((*path, "rules"), f"category {name} has no rules; add at least one (id:, match:)")
        raw_rules = []
    for i, raw_rule in enumerate(raw_rules):
        rule = read_rule(r, raw_rule, (*path, "rules", i), name, _RULE_KEYS, word_lists, seen_ids)
        if rule:
            rules.append(rule)
    return Category(
        name,
        "",
        (),
        tuple(rules),
        ask=texts["ask"],
        yes_button=texts["yes_button"],
        no_button=texts["no_button"],
        if_yes=texts["if_yes"],
        if_no=texts["if_no"],
    )


def _read_resources(r: Reader, raw: Any) -> list[Resource]:
    if not isinstance(raw, dict) or not raw:
        r.problem(
            ("resources",), "resources must list at least one resource (an id with name: and how:)"
        )
        return []
    out = []
    for rid, value in raw.items():
        path: tuple[str | int, ...] = ("resources", rid)
        if not _LIST_NAME.fullmatch(str(rid)):
            r.problem(path, f'the resource id "{rid}" must be lower-case words_with_underscores')
        res = r.mapping(value, path, _RESOURCE_KEYS, f"resource {rid}")
        url = None
        if "url" in res:
            url = r.text(res["url"], (*path, "url"), f"the url of {rid}")
            if url and not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", url):
                r.problem(
                    (*path, "url"),
                    f"the url of {rid} must start with https:// (buttons only open web links); "
                    "put phone numbers in how: instead",
                )
        url_label = None
        if "url_label" in res:
            url_label = r.text(res["url_label"], (*path, "url_label"), f"url_label of {rid}")
            if "url" not in res:
                r.problem((*path, "url_label"), f"url_label of {rid} needs a url: too")
        elif url:
            r.problem(path, f"resource {rid} has a url: but no url_label: (the button text)")
        out.append(
            Resource(
                id=str(rid),
                name=r.text(res["name"], (*path, "name"), f"the name of {rid}")
                if "name" in res
                else "",
                how=r.text(res["how"], (*path, "how"), f"how: of {rid}") if "how" in res else "",
                url=url or None,
                url_label=url_label or None,
            )
        )
    return out


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
