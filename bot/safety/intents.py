"""``content/intents.yaml``: words outside an exercise that say which exercise would help.

"I used today", "I really want to use", "having a flashback": free text outside a flow is
read for what the patient needs, after the crisis screen has let it through. The file is
written in the crisis lists' phrase language (``bot.safety.phrases``: ``[a|b]``, ``word*``,
``...``) and read with their reader, so a clinician writes both the same way and gets the
same ``file:line`` problems; it lives beside them for that reason. The first intent in the
file whose phrase is found (and not cancelled by one of its ``unless:`` phrases) wins. A
text is scanned as the crisis lists scan it (``bot.safety.trie.CompiledPhrases.scan``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.safety.normalize import normalize
from bot.safety.phrases import Rule
from bot.safety.reader import Reader, read_rule
from bot.safety.trie import DOUBLES, CompiledPhrases, Target, Trie, add_phrase
from bot.shared.content import check_template
from bot.shared.intents import Intent, IntentOffer
from bot.shared.problems import Problem, ProblemsFound, did_you_mean
from bot.shared.yamlio import read_yaml

__all__ = ["INTENTS_FILE", "IntentMatcher", "load_intents", "validate_intents_file"]

INTENTS_FILE = "intents.yaml"
_TOP_KEYS = {"version": False, "intents": True}
#: ``offer:`` may be left out: the reply then comes with the menu alone (a greeting, thanks).
#: ``alone: true``: a phrase counts only when it is the whole message ("thanks so much",
#: not "thanks. i lost my job today", which is not thanks but news).
_INTENT_KEYS = {
    "id": True,
    "match": True,
    "unless": False,
    "reply": True,
    "offer": False,
    "alone": False,
}
#: A reply is one phone screen, like every other text the coach sends.
MAX_REPLY = 600


@dataclass(frozen=True)
class IntentMatcher:
    """Every intent's phrases compiled into one pattern; ``read`` finds the first that fits."""

    intents: tuple[Intent, ...]
    _positive: CompiledPhrases
    #: Each intent's ``unless:`` phrases, by intent id (a phrase cancels only its own).
    _exclusions: dict[str, CompiledPhrases]
    #: The intents marked ``alone: true`` (their phrases count only as the whole message).
    _alone: frozenset[str] = frozenset()

    def read(self, text: str) -> Intent | None:
        """The intent ``text`` asks for, or None when none of the phrases is in it."""
        key = DOUBLES.sub(r"\1", normalize(text))
        if not key:
            return None
        padded = f" {key} "
        found = list(self._positive.scan(padded))
        words = len(key.split())
        kept = [
            target
            for start, end, target in found
            if not self._cancelled(padded, start, end, target)
            and (target.rule_id not in self._alone or len(padded[start:end].split()) == words)
        ]
        if not kept:
            return None
        return self.intents[min(t.rank for t in kept)]

    def by_id(self, intent_id: str) -> Intent | None:
        return next((intent for intent in self.intents if intent.id == intent_id), None)

    def _cancelled(self, padded: str, start: int, end: int, target: Target) -> bool:
        """An ``unless:`` phrase of the same intent overlaps the hit at start..end."""
        guard = self._exclusions.get(target.rule_id)
        if guard is None:
            return False
        return any(g_start < end and start < g_end for g_start, g_end, _ in guard.scan(padded))


def load_intents(path: Path | str, flow_ids: Collection[str] | None) -> IntentMatcher:
    """Read, check and compile the intents file; raise ProblemsFound listing every problem.

    ``flow_ids``: the flows that loaded, so an offer of a flow that does not exist is named;
    None leaves offers unchecked (the running engine offers only flows that loaded, so one
    broken flow does not take the words that route down with it).
    """
    located = read_yaml(path)
    reader = Reader(located)
    data = reader.mapping(located.data, (), _TOP_KEYS, "the intents file")
    if "version" in data and data["version"] != 1:
        reader.problem(("version",), "version must be 1")
    raw = data.get("intents")
    if "intents" in data and not isinstance(raw, list):
        reader.problem(("intents",), "intents: must be a list (each intent starts with - id:)")
        raw = []
    seen: dict[str, int] = {}
    intents: list[Intent] = []
    rules: list[Rule] = []
    alone: set[str] = set()
    for i, item in enumerate(raw or []):
        path_ = ("intents", i)
        rule = read_rule(reader, item, path_, "intent", _INTENT_KEYS, {}, seen)
        if rule is None or not isinstance(item, dict):
            continue
        reply = reader.text(item.get("reply", ""), (*path_, "reply"), f"the reply of {rule.id}")
        braces = check_template(reply)
        if braces:
            reader.problem((*path_, "reply"), f"in the reply of {rule.id}: {braces}")
        if len(reply) > MAX_REPLY:
            reader.problem(
                (*path_, "reply"),
                f"the reply of {rule.id} is {len(reply)} characters; keep it under {MAX_REPLY} "
                "(one phone screen)",
            )
        offers = (
            _offers(reader, item["offer"], (*path_, "offer"), rule.id, flow_ids)
            if "offer" in item
            else ()
        )
        if item.get("alone", False) is True:
            alone.add(rule.id)
        elif "alone" in item and item["alone"] is not False:
            reader.problem((*path_, "alone"), f"alone: of {rule.id} is true or false")
        intents.append(Intent(rule.id, reply, offers))
        rules.append(rule)
    if reader.problems:
        raise ProblemsFound(reader.problems)
    return _compile(located.file, intents, rules, frozenset(alone))


def validate_intents_file(path: Path | str, flow_ids: Collection[str]) -> list[Problem]:
    """Every problem in the intents file (empty when it is fine)."""
    if not Path(path).exists():
        return [Problem(str(path), 1, "the intents file is missing; restore content/intents.yaml")]
    try:
        load_intents(path, flow_ids)
    except ProblemsFound as exc:
        return list(exc.problems)
    return []


def _offers(
    reader: Reader,
    raw: Any,
    path: tuple[str | int, ...],
    intent_id: str,
    flow_ids: Collection[str] | None,
) -> tuple[IntentOffer, ...]:
    if not isinstance(raw, dict) or not raw:
        reader.problem(
            path,
            f"offer: of {intent_id} names the exercises to offer, one a line, as "
            'flow_id: "button words" (like grounding: "Ground myself now"); leave offer: '
            "out to answer with the menu alone",
        )
        return ()
    offers = []
    for flow_id, words in raw.items():
        if flow_ids is not None and str(flow_id) not in flow_ids:
            reader.problem(
                (*path, flow_id),
                f'offer: of {intent_id} names the flow "{flow_id}", which does not exist '
                "or did not load" + did_you_mean(str(flow_id), flow_ids),
            )
        button = reader.text(words, (*path, flow_id), f"the button words for {flow_id}")
        offers.append(IntentOffer(str(flow_id), button))
    return tuple(offers)


def _fold(literal: str, star: bool = False) -> str:
    """Phrases are matched in the folded form the text is read in (doubled letters as one)."""
    return DOUBLES.sub(r"\1", literal)


def _compile(
    file: str, intents: list[Intent], rules: list[Rule], alone: frozenset[str]
) -> IntentMatcher:
    return IntentMatcher(tuple(intents), *_patterns(file, tuple(rules)), alone)


@lru_cache(maxsize=1)
def _patterns(
    file: str, rules: tuple[Rule, ...]
) -> tuple[CompiledPhrases, dict[str, CompiledPhrases]]:
    """The intents' phrases compiled, remembered for the same phrases: a reload checks the
    file (``validate_intents_file``) and then loads it, and compiles it once. What is kept
    is the clinicians' file, never a patient's words. Not to be changed by the caller."""
    problems: list[Problem] = []
    positive = Trie()
    exclusions: dict[str, CompiledPhrases] = {}
    for rank, rule in enumerate(rules):
        target = Target(rank, "intent", rule.id)
        for phrase in rule.match:
            add_phrase(positive, phrase, target, _fold, file, problems)
        if rule.unless:
            guard = Trie()
            for phrase in rule.unless:
                add_phrase(guard, phrase, target, _fold, file, problems)
            exclusions[rule.id] = guard.compile()
    if problems:
        raise ProblemsFound(problems)
    return positive.compile(), exclusions
