"""The phrase trie: heads that share a long tail are written once, and still all match."""

import pytest

from bot.safety import trie as trie_module
from bot.safety.phrases import PhraseSpec, parse_phrase
from bot.safety.trie import Target, Trie, add_phrase
from bot.shared.problems import Problem

# Thirty-two verbs that begin with eight letters; forty drug names.
VERBS = tuple(f"{letter}{end}" for letter in "abcdefgh" for end in ("ook", "ate", "ix", "ump"))
DRUGS = tuple(f"drug{a}{b}" for a in "klmnp" for b in "rstvwxyz")
PHRASE = "<verb> ... <drug> ... <drug>"


def _trie(phrase: str) -> Trie:
    trie, problems = Trie(), list[Problem]()
    spec = PhraseSpec(phrase, parse_phrase(phrase, {"verb": VERBS, "drug": DRUGS}), 1)
    add_phrase(trie, spec, Target(0, "c", "r"), lambda word, star: word, "f", problems)
    assert not problems
    return trie


def test_a_long_tail_is_written_once_per_first_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    folded = len(_trie(PHRASE).pattern())
    monkeypatch.setattr(trie_module, "_FOLD_CHARS", 10**9)
    spelled_out = len(_trie(PHRASE).pattern())
    # 32 copies of the tail before, 8 (one per first letter) after.
    assert folded * 3 < spelled_out


def test_every_head_of_a_folded_phrase_still_matches() -> None:
    compiled = _trie(PHRASE).compile()
    for verb in VERBS:
        found = list(compiled.scan(f" i {verb} some drugks and then drugpz "))
        assert [target.rule_id for _, _, target in found] == ["r"], verb
    assert not list(compiled.scan(" i zook some drugks and then drugpz "))
    assert not list(compiled.scan(" i aook some drugks and nothing else "))
    assert not list(compiled.scan(" i aookx some drugks and then drugpz "))
