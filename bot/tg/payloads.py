"""No patient payload in any log, at any level, ``--verbose`` included; no poison update loop.

PTB logs whole payloads in a few places: every Bot API call's parameters and every update
at DEBUG, the webhook's body at DEBUG, and at CRITICAL the data of an update it could not
parse (with a traceback whose message may quote it too). Those carry patients' words and
names, so ``keep_payloads_out_of_logs`` keeps PTB's loggers at INFO even with
``--verbose`` and, on every root handler, replaces the arguments of PTB's payload
messages and drops their tracebacks (the exception's type is kept).

An update PTB cannot parse would fail the whole getUpdates batch, and PTB would fetch the
same batch again at once, forever. ``without_poison`` replaces such an update by its bare
id before PTB reads the batch: it is confirmed, skipped and counted, never handled.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update

__all__ = ["HIDDEN", "keep_payloads_out_of_logs", "without_poison"]

log = logging.getLogger(__name__)

HIDDEN = "<payload not logged>"
#: PTB's messages that carry a payload in their arguments or traceback.
_PAYLOAD_MESSAGES = (
    "Received data was",
    "Calling Bot API endpoint",
    "Webhook received data",
    "Processing update",
    "Dropping pending update",
    "Can not load invalid JSON data",
    "Request had the wrong secret token",
    "Something went wrong processing the data",
)
_LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "aiohttp.client", "hpack")


class _PayloadFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and any(
            marker in str(record.msg) for marker in _PAYLOAD_MESSAGES
        ):
            if record.args:
                count = len(record.args) if isinstance(record.args, tuple) else 1
                record.args = tuple(HIDDEN for _ in range(count))
            if record.exc_info and record.exc_info[0] is not None:
                record.msg = f"{record.msg} ({record.exc_info[0].__name__})"
            record.exc_info = None
            record.exc_text = None
        return True


def keep_payloads_out_of_logs() -> None:
    """Library loggers at INFO at most (WARNING for the HTTP ones), and PTB's payload
    messages without their payload, on every root handler."""
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        floor = logging.INFO if name == "telegram" else logging.WARNING
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _PayloadFilter) for f in handler.filters):
            handler.addFilter(_PayloadFilter())


def without_poison(body: bytes, seen: set[int]) -> tuple[bytes, int]:
    """A getUpdates answer with every update PTB cannot parse replaced by its bare id;
    the new body and how many were replaced that were not already in ``seen``."""
    try:
        answer = json.loads(body)
        updates = answer["result"]
    except (ValueError, KeyError, TypeError):
        return body, 0  # not an answer with updates: PTB reports it as it is
    if not isinstance(updates, list) or not updates:
        return body, 0
    try:
        Update.de_list(updates, None)
        return body, 0  # the usual case: nothing to do
    except Exception:  # noqa: BLE001, S110 - found one by one below
        pass
    kept: list[Any] = []
    new = 0
    for update in updates:
        try:
            Update.de_json(update, None)
            kept.append(update)
            continue
        except Exception:  # noqa: BLE001 - whatever is wrong with it, it is skipped
            update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.error("an update without an id was skipped")
            continue
        kept.append({"update_id": update_id})
        if update_id not in seen:
            seen.add(update_id)
            new += 1
            log.error("an update that could not be read was skipped update=%d", update_id)
    answer["result"] = kept
    return json.dumps(answer).encode(), new
