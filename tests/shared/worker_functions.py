"""Functions for the worker-process tests to run in a real child (``python -m`` this)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.shared.worker_process import serve


def pid_and_env(name: str) -> tuple[int, str | None]:
    return os.getpid(), os.environ.get(name)


def fail() -> None:
    raise ValueError("a private word that must not reach the parent")


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "pid_and_env": pid_and_env,
    "fail": fail,
    "sleep": sleep,
}

if __name__ == "__main__":
    serve(FUNCTIONS)
