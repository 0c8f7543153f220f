"""How fast is crisis screening on ordinary messages, with the rules alone and both layers?

Run: ``.venv/bin/python benchmarks/safety.py``

1. The rules alone (today's figure) and the whole screen (rules + learned layer + the
   decision), per ordinary message: messages per second, mean and p99 in microseconds.
2. One 4,096-character message, through the whole screen.
3. Loading both layers at start (crisis file, phrase compilation, model weights), and the
   memory the model adds (tracemalloc peak while loading it).
4. The rules with every phrase list grown tenfold, and the ratio to the shipped lists.

Targets: the whole screen at most 200 us mean and 1 ms p99 on one core; at most 5 ms for a
4,096-character message; loading under 1 s; the model under 50 MB; tenfold rules under 2x.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gc  # noqa: E402
import tracemalloc  # noqa: E402

from bot.safety.config import CrisisConfig, load_crisis_config  # noqa: E402
from bot.safety.decision import Action  # noqa: E402
from bot.safety.detector import CrisisDetector  # noqa: E402
from bot.safety.learned import LearnedLayer  # noqa: E402
from bot.safety.phrases import Choice, PhraseSpec, Rule  # noqa: E402
from bot.safety.screen import CrisisScreen  # noqa: E402

CRISIS_FILE = ROOT / "content" / "crisis.yaml"
EVAL_FILE = ROOT / "data" / "safety" / "corpus" / "eval_set.tsv"


def ordinary_messages() -> list[str]:
    """The ``neg`` lines of the evaluation set plus a few long everyday messages."""
    rows = [line.split("\t", 2) for line in EVAL_FILE.read_text(encoding="utf-8").splitlines()]
    messages = [r[2] for r in rows if len(r) == 3 and r[0] == "neg"]
    long = (
        "Had a rough night, the restless legs kept me up and my back is sore, but I did the "
        "breathing exercise twice and went for a walk with the dog before work. "
    )
    messages += [long * 3, long * 10]
    return messages


def _mutate(text: str, k: int) -> str:
    return " ".join(w[:1] + "zq" + chr(97 + k) + w[1:] if w else w for w in text.split(" "))


def _grow_phrase(phrase: PhraseSpec, k: int) -> PhraseSpec:
    parts = tuple(
        Choice(tuple((_mutate(lit, k), star) for lit, star in p.options))
        if isinstance(p, Choice)
        else p
        for p in phrase.parts
    )
    return dataclasses.replace(phrase, source=f"{phrase.source} #{k}", parts=parts)


def _grow_rule(rule: Rule) -> Rule:
    match = rule.match + tuple(_grow_phrase(p, k) for k in range(9) for p in rule.match)
    unless = rule.unless + tuple(_grow_phrase(p, k) for k in range(9) for p in rule.unless)
    return dataclasses.replace(rule, match=match, unless=unless)


def grown_tenfold(cfg: CrisisConfig) -> CrisisConfig:
    """The same configuration with ten times as many phrases in every rule."""
    categories = tuple(
        dataclasses.replace(c, rules=tuple(_grow_rule(r) for r in c.rules)) for c in cfg.categories
    )
    return dataclasses.replace(
        cfg,
        categories=categories,
        not_crisis=tuple(_grow_rule(r) for r in cfg.not_crisis),
        _by_name={c.name: c for c in categories},
    )


def measure(detector: CrisisDetector, messages: list[str], rounds: int) -> list[float]:
    """Per-message times of the rules alone in microseconds (after a warm-up round)."""
    for text in messages:
        assert detector.detect(text) is None, text
    timings = []
    clock = time.perf_counter_ns
    detect = detector.detect
    for _ in range(rounds):
        for text in messages:
            start = clock()
            detect(text)
            timings.append((clock() - start) / 1000)
    return timings


def report(name: str, timings: list[float], phrases: int, build_s: float) -> float:
    timings.sort()
    mean = statistics.fmean(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"{name:<10} phrases={phrases:>5}  build={build_s:5.2f}s  "
        f"{1e6 / mean:>9,.0f} msg/s  mean={mean:6.1f} us  p99={p99:6.1f} us"
    )
    return mean


def measure_screen(screen: CrisisScreen, messages: list[str], rounds: int) -> list[float]:
    """Per-message times of the whole screen in microseconds (after a warm-up round).

    Each round's texts differ by a final word, so every figure is a text read for the first
    time (the screen remembers no texts; a word its model does not know is worked out again
    in every message, as a patient's own words are)."""
    for text in messages:
        screen.screen(text)
    timings = []
    clock = time.perf_counter_ns
    for n in range(rounds):
        round_texts = [f"{text} r{n}" for text in messages]
        for text in round_texts:
            start = clock()
            screen.screen(text)
            timings.append((clock() - start) / 1000)
    return timings


def long_message() -> str:
    """An everyday message of exactly 4,096 characters."""
    day = (
        "Woke up stiff again, the knee and the lower back, so I did the stretches before coffee "
        "and texted my sister about Sunday. Work was long, my manager moved the deadline, and on "
        "the drive home I noticed the old craving near the gas station but kept going. "
    )
    return (day * (4096 // len(day) + 1))[:4096]


def main() -> None:
    cfg = load_crisis_config(CRISIS_FILE)
    messages = ordinary_messages()
    print(
        f"{len(messages)} ordinary messages, mean length "
        f"{statistics.fmean(len(m) for m in messages):.0f} characters"
    )
    start = time.perf_counter()
    screen = CrisisScreen.from_content(CRISIS_FILE.parent)
    load_s = time.perf_counter() - start
    assert screen.learned is not None and screen.config.learned is not None
    rules = CrisisDetector.from_config(cfg)
    report("rules", measure(rules, messages, rounds=200), 0, 0.0)
    asked = sum(1 for m in messages if screen.screen(m).action is not Action.NONE)
    report("both", measure_screen(screen, messages, rounds=200), 0, load_s)
    print(f"  (the whole screen flags {asked}/{len(messages)} of these messages)")
    text = long_message()
    longs = sorted(measure_screen(screen, [text], rounds=50))
    print(
        f"4,096 characters: mean={statistics.fmean(longs) / 1000:.2f} ms  max={longs[-1] / 1000:.2f} ms"
    )
    gc.collect()
    tracemalloc.start()
    LearnedLayer.load(CRISIS_FILE.parent / screen.config.learned.model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"load both layers: {load_s:.2f} s; model memory (peak while loading): {peak / 2**20:.1f} MB"
    )
    means = []
    for name, config in (("shipped", cfg), ("tenfold", grown_tenfold(cfg))):
        start = time.perf_counter()
        detector = CrisisDetector.from_config(config)
        build = time.perf_counter() - start
        phrases = sum(len(r.match) + len(r.unless) for c in config.categories for r in c.rules)
        phrases += sum(len(r.match) for r in config.not_crisis)
        means.append(report(name, measure(detector, messages, rounds=200), phrases, build))
    print(f"ratio tenfold/shipped (mean): {means[1] / means[0]:.2f}x")


if __name__ == "__main__":
    main()
