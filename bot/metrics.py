"""What the running coach counts, for Prometheus (``/metrics``, served by ``bot.tg.health``).

Counts and timings only: no label ever holds a chat id, a patient number, a name or a word
a patient wrote. Every label takes its values from a small fixed set (an update's kind, a
crisis category and layer, an error's class name), so a scrape shows how the coach is doing
and nothing about who is using it.

The collectors live in their own registry (not prometheus-client's global one), so what
``/metrics`` shows is exactly this list. Each process counts for itself; Prometheus adds
the processes up.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

P = ParamSpec("P")
R = TypeVar("R")

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "coach_updates",
    "Telegram updates received, by kind (message, command, button, edited_message, ...).",
    ["kind"],
    registry=REGISTRY,
)
STEP_SECONDS = Histogram(
    "coach_step_seconds",
    "Seconds to answer one event: the screen, the step and its transaction.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
CRISIS_DECISIONS = Counter(
    "coach_crisis_decisions",
    "Crisis screening decisions that were not a let-through, by layer, category and action.",
    ["layer", "category", "action"],
    registry=REGISTRY,
)
DIRECT_QUESTIONS = Counter(
    "coach_direct_questions",
    "Direct safety questions asked, by category.",
    ["category"],
    registry=REGISTRY,
)
DIRECT_ANSWERS = Counter(
    "coach_direct_answers",
    "Answers to the direct safety question, by category and answer (yes, no, unclear).",
    ["category", "answer"],
    registry=REGISTRY,
)
REMINDERS = Counter(
    "coach_reminders",
    "Check-in reminders by outcome (sent, failed, blocked, unknown, skipped...).",
    ["outcome"],
    registry=REGISTRY,
)
QUESTIONNAIRES = Counter(
    "coach_questionnaires",
    "Questionnaires stored, by outcome (completed, skipped).",
    ["outcome"],
    registry=REGISTRY,
)
TELEGRAM_ERRORS = Counter(
    "coach_telegram_errors",
    "Errors from the Bot API, by kind (the error's class: Forbidden, RetryAfter, ...).",
    ["kind"],
    registry=REGISTRY,
)
WEBHOOK_REFUSED = Counter(
    "coach_webhook_refused",
    "Webhook requests refused at the edge, by reason (over_cap: connections over the cap; "
    "no_secret: without the right secret header).",
    ["reason"],
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "coach_database_errors",
    "Database errors met while answering, by kind (the error's class).",
    ["kind"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "coach_outbox_depth",
    "Replies stored and not yet delivered (the outbox's pending count, read at each scrape).",
    registry=REGISTRY,
)


def timed_step(
    handle: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Time every call of the coroutine function ``handle`` in ``coach_step_seconds``."""

    @functools.wraps(handle)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return await handle(*args, **kwargs)
        finally:
            STEP_SECONDS.observe(time.perf_counter() - started)

    return timed


def count_crisis_decision(fields: Mapping[str, str]) -> None:
    """One crisis decision, from what may be logged about it (``Decision.log_fields``)."""
    CRISIS_DECISIONS.labels(
        layer=fields.get("layer", "none"),
        category=fields.get("category", "none"),
        action=fields.get("action", "none"),
    ).inc()


def count_reminders(outcomes: Mapping[str, int]) -> None:
    """One dispatcher tick's outcomes (``sent``, ``failed``, ``blocked``...)."""
    for outcome, count in outcomes.items():
        if count:
            REMINDERS.labels(outcome=outcome).inc(count)
