"""Logging for ``coach``: one format, and secrets that never reach the output.

PTB's ``InvalidToken`` carries the bot token in its message, and a Bot API URL holds it
too; ``redact`` wraps every root handler's formatter so that whatever a library logs
(messages, arguments, tracebacks, warnings) has the token replaced before it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["REDACTED", "redact"]

REDACTED = "<redacted>"


class _RedactingFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter | None, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def redact(secrets: Iterable[str]) -> None:
    """Replace each of ``secrets`` (at least 8 characters) in everything the root logger's
    handlers write; library warnings are routed through logging so they are covered too."""
    kept = tuple(sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True))
    logging.captureWarnings(True)
    if not kept:
        return
    for handler in logging.getLogger().handlers:
        current = handler.formatter
        if isinstance(current, _RedactingFormatter):
            current = current.inner
        handler.setFormatter(_RedactingFormatter(current, kept))
