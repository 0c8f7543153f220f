"""Print the held-out figures at the end of the run, where everyone sees them."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.safety.test_heldout import FIGURES

    if FIGURES:
        terminalreporter.section("crisis screen on the held-out set (never trained on)")
        for line in FIGURES:
            terminalreporter.write_line(line)
