"""``coach rotate-key``: move every encrypted value to the key in DATA_ENCRYPTION_KEY.

Runs beside the bot (one short transaction per batch); the steps are in README.md,
"Encryption at rest". Prints counts and key ids, never a key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings


def rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    """0 when every value is on the new key, 1 when some changed under the rotation."""
    from bot.coach.build import open_database
    from bot.coach.encryption import RotationReport, prepare_encryption, rotate

    async def go() -> tuple[RotationReport, str]:
        database = await open_database(settings)
        try:
            ring = await prepare_encryption(settings, database, register=False)
            report = await rotate(
                database, batch=args.batch, bot_stopped=args.bot_stopped, progress=_progress
            )
            return report, ring.current_id or ""
        finally:
            await database.dispose()

    report, key_id = asyncio.run(go())
    done = ", ".join(f"{name} {count}" for name, count in report.resealed.items() if count)
    print(
        f"Re-encrypted {sum(report.resealed.values())} values with key id {key_id}"
        + (f" ({done})." if done else ".")
    )
    if report.complete:
        print(
            "Every value is on the new key; DATA_ENCRYPTION_KEY_OLD can be removed once "
            "every coach process runs with the new key alone."
        )
        return 0
    left = sum(report.remaining.values())
    print(
        f"{left} values are still on another key (changed during the rotation by a coach "
        "running on the old key?); run coach rotate-key again.",
        file=sys.stderr,
    )
    return 1


def key_values(settings: Settings) -> list[str]:
    """The encryption keys as written, for the log's redaction (they are never logged, and
    must not be even by accident)."""
    values = []
    for secret in (settings.data_encryption_key, settings.data_encryption_key_old):
        if secret is not None:
            written = secret.get_secret_value()
            values += [written, *(part.strip() for part in written.split(","))]
    return values


def positive(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _progress(column: str, count: int) -> None:
    print(f"  {column}: {count}", file=sys.stderr, flush=True)
