"""Random damage to a flow file, the kinds a hurried editor does (for the fuzz test).

Each mutation takes the file's text and a seeded random generator and returns new text:
keys deleted, values of the wrong type, steps renamed, indentation broken, huge values,
YAML oddities (tabs, anchors, tags, truncation). Seeded, so a failure can be replayed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import yaml

Mutation = Callable[[str, random.Random], str]
# libyaml when present: the mutations are half the fuzz test's time in pure Python.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

WRONG_VALUES: tuple[object, ...] = (
    None,
    0,
    -1,
    3.5,
    True,
    "",
    "x",
    [],
    {},
    [1, "a"],
    {"a": 1},
    "Not A Name!",
    10**30,
    "a" * 5000,
    [[[[]]]],
    {"say": None},
    "{unclosed",
    "steps",
    "end",
)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _key_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(r"^\s*-?\s*[a-z_]+:", line)]


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    keys = _key_lines(lines) or [0]
    del lines[rng.choice(keys)]
    return "\n".join(lines)


def break_indentation(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.choice(_key_lines(lines) or [0])
    stripped = lines[i].lstrip(" ")
    indent = len(lines[i]) - len(stripped)
    lines[i] = " " * max(0, indent + rng.choice((-4, -2, -1, 1, 2, 3))) + stripped
    if rng.random() < 0.2:
        lines[i] = "\t" + lines[i]
    return "\n".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.choice(_key_lines(lines) or [0])
    lines.insert(i, lines[i])
    return "\n".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def insert_junk(text: str, rng: random.Random) -> str:
    junk = rng.choice(
        (
            ":",
            "- ",
            "[",
            "]",
            "{",
            "}",
            '"',
            "'",
            "&a ",
            "*a ",
            "!!python/object:os.system ",
            "\t",
            "#",
            "|",
            ">",
            "%YAML 1.1\n",
            "---\n",
            "\x00",
            "\ufeff",
            "…",
            "? ",
            "<<: *x\n",
            "@",
        )
    )
    at = rng.randrange(len(text) + 1)
    return text[:at] + junk + text[at:]


def alias_bomb(text: str, rng: random.Random) -> str:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    return text + "\nbomb:\n" + "".join("  " + line + "\n" for line in bomb.splitlines())


def _data_mutation(change: Callable[[object, random.Random], object]) -> Mutation:
    def mutate(text: str, rng: random.Random) -> str:
        try:
            data = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError:
            return text
        data = change(data, rng)
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6)

    mutate.__name__ = change.__name__
    return mutate


def _containers(node: object, out: list[object], seen: set[int] | None = None) -> list[object]:
    """Every dict and list once (aliases share them; a bomb must not be walked in full)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            _containers(value, out, seen)
    elif isinstance(node, list):
        out.append(node)
        for value in node:
            _containers(value, out, seen)
    return out


def _delete_key(data: object, rng: random.Random) -> object:
    dicts = [c for c in _containers(data, []) if isinstance(c, dict) and c]
    if dicts:
        target = rng.choice(dicts)
        del target[rng.choice(list(target))]  # type: ignore[index]
    return data


def _wrong_type(data: object, rng: random.Random) -> object:
    containers = [c for c in _containers(data, []) if c]
    if not containers:
        return rng.choice(WRONG_VALUES)
    target = rng.choice(containers)
    if isinstance(target, dict):
        target[rng.choice(list(target))] = rng.choice(WRONG_VALUES)
    elif isinstance(target, list):
        target[rng.randrange(len(target))] = rng.choice(WRONG_VALUES)
    return data


def _rename_step(data: object, rng: random.Random) -> object:
    if isinstance(data, dict) and isinstance(data.get("steps"), dict) and data["steps"]:
        steps = data["steps"]
        old = rng.choice(list(steps))
        name = str(old)  # plain YAML reads a step called on: or off: as a boolean key
        new = rng.choice(
            (name + "_2", name.upper(), "end", "steps", "x" * 80, name[:-1] or "q", "2" + name)
        )
        data["steps"] = {(new if k == old else k): v for k, v in steps.items()}
    return data


def _huge(data: object, rng: random.Random) -> object:
    if not isinstance(data, dict):
        return data
    kind = rng.randrange(4)
    if kind == 0:
        data["title"] = "T" * 20_000
    elif kind == 1:
        data["version"] = 10**400
    elif kind == 2 and isinstance(data.get("steps"), dict):
        data["steps"] = {f"s{i}": {"text": "x", "next": f"s{i + 1}"} for i in range(300)}
    else:
        nested: object = "x"
        for _ in range(300):
            nested = [nested]
        data["steps"] = nested
    return data


MUTATIONS: tuple[Mutation, ...] = (
    delete_line,
    break_indentation,
    duplicate_line,
    truncate,
    insert_junk,
    alias_bomb,
    _data_mutation(_delete_key),
    _data_mutation(_wrong_type),
    _data_mutation(_wrong_type),
    _data_mutation(_rename_step),
    _data_mutation(_huge),
)


def mutate(text: str, rng: random.Random) -> tuple[str, list[str]]:
    """One to three random mutations; returns the text and the names of what was done."""
    names = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS)
        text = mutation(text, rng)
        names.append(mutation.__name__)
    return text, names
