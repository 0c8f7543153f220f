"""Conditions over saved answers, such as ``intensity >= 8 and emotion in [anxious, angry]``.

Clinicians write these in YAML, so they are parsed by a small grammar of our own, never by
Python's ``eval``: a condition can only compare saved answers with constants. Parsing
happens at load time, which is when a typo can still be reported with its line.

Grammar::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := NAME OP value | NAME ["not"] "in" list | NAME "contains" value
                | NAME "is" ["not"] "set"
    OP         := == | != | < | <= | > | >=

An answer that was never given (skipped, or its step not reached) makes every comparison
on it false except ``is not set``, so ``when: distress >= 8`` never fires on a skip.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Value = str | int | float | bool


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says what to write instead."""


@dataclass(frozen=True)
class Comparison:
    """One ``name op value`` test; ``values`` holds the constants it compares against."""

    name: str
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Condition:
    """A parsed condition: a test function plus what it refers to, for validation."""

    source: str
    comparisons: tuple[Comparison, ...]
    test: Callable[[Mapping[str, Any]], bool]

    def __call__(self, variables: Mapping[str, Any]) -> bool:
        return self.test(variables)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[\[\](),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_KEYWORDS = {"and", "or", "not", "in", "contains", "is", "set", "true", "false"}


def parse_condition(source: str) -> Condition:
    """Parse ``source``; raise ConditionError with a plain explanation when it is wrong."""
    tokens = _tokenize(source)
    parser = _Parser(source, tokens)
    test = parser.expr()
    if parser.pos != len(tokens):
        raise ConditionError(
            f'"{tokens[parser.pos][1]}" is unexpected here; join tests with "and" or "or"'
        )
    return Condition(source=source, comparisons=tuple(parser.comparisons), test=test)


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = source.strip()
    if not text:
        raise ConditionError("the condition is empty; write one like intensity >= 8")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            bad = text[pos:].strip()[:1] or text[pos]
            hint = " (to compare, use == rather than =)" if bad == "=" else ""
            raise ConditionError(f'"{bad}" cannot be used in a condition{hint}')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _Parser:
    def __init__(self, source: str, tokens: list[tuple[str, str]]) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0
        self.comparisons: list[Comparison] = []

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take_word(self, word: str) -> bool:
        token = self._peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def _expect(self, what: str, hint: str) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ConditionError(f"the condition stops too early: {hint}")
        self.pos += 1
        return token

    def expr(self) -> Callable[[Mapping[str, Any]], bool]:
        parts = [self.and_expr()]
        while self._take_word("or"):
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda v: any(p(v) for p in parts)

    def and_expr(self) -> Callable[[Mapping[str, Any]], bool]:
        parts = [self.not_expr()]
        while self._take_word("and"):
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda v: all(p(v) for p in parts)

    def not_expr(self) -> Callable[[Mapping[str, Any]], bool]:
        if self._take_word("not"):
            inner = self.not_expr()
            return lambda v: not inner(v)
        token = self._peek()
        if token == ("punct", "("):
            self.pos += 1
            inner = self.expr()
            if self._peek() != ("punct", ")"):
                raise ConditionError('a "(" is not closed; add ")"')
            self.pos += 1
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[Mapping[str, Any]], bool]:
        kind, name = self._expect("name", "write a saved answer's name, like intensity >= 8")
        if kind != "word" or name.lower() in _KEYWORDS:
            raise ConditionError(
                f'a condition starts with the name of a saved answer, not "{name}"'
            )
        token = self._peek()
        if token is None:
            raise ConditionError(f'"{name}" needs a comparison, like {name} >= 8 or {name} == yes')
        if token[0] == "op":
            self.pos += 1
            value = self._value()
            self.comparisons.append(Comparison(name, token[1], (value,)))
            return _compare(name, _OPS[token[1]], value)
        if self._take_word("is"):
            negate = self._take_word("not")
            if not self._take_word("set"):
                raise ConditionError(f'write "{name} is set" or "{name} is not set"')
            self.comparisons.append(Comparison(name, "is not set" if negate else "is set", ()))
            if negate:
                return lambda v: v.get(name) in (None, "", [])
            return lambda v: v.get(name) not in (None, "", [])
        if self._take_word("contains"):
            value = self._value()
            self.comparisons.append(Comparison(name, "contains", (value,)))
            return lambda v: isinstance(v.get(name), list | tuple) and value in v[name]
        negate = self._take_word("not")
        if self._take_word("in"):
            values = self._list()
            self.comparisons.append(Comparison(name, "not in" if negate else "in", values))
            if negate:
                return lambda v: v.get(name) is not None and v.get(name) not in values
            return lambda v: v.get(name) in values
        raise ConditionError(
            f'"{token[1]}" is not a comparison; use ==, !=, <, <=, >, >=, in, contains or is set'
        )

    def _value(self) -> Value:
        kind, text = self._expect("value", "a value is missing after the comparison")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return text[1:-1]
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            return text
        raise ConditionError(f'"{text}" is not a value; write a number or a word')

    def _list(self) -> tuple[Value, ...]:
        if self._peek() != ("punct", "["):
            raise ConditionError("after in, list the values in brackets, like [anxious, angry]")
        self.pos += 1
        values = [self._value()]
        while self._peek() == ("punct", ","):
            self.pos += 1
            values.append(self._value())
        if self._peek() != ("punct", "]"):
            raise ConditionError('the list is not closed; add "]" after the last value')
        self.pos += 1
        return tuple(values)


def _compare(
    name: str, op: Callable[[Any, Any], bool], value: Value
) -> Callable[[Mapping[str, Any]], bool]:
    def test(variables: Mapping[str, Any]) -> bool:
        current = variables.get(name)
        if current is None:
            return False
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not isinstance(current, int | float) or isinstance(current, bool):
                return False
        elif isinstance(current, int | float) and not isinstance(current, bool):
            return False
        return bool(op(current, value))

    return test
