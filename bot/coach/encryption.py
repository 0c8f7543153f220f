"""Encryption at rest, as the coach uses it: the keys from the settings, the start-up
check, and ``coach rotate-key``.

At start (``prepare_encryption``, from ``build_coach``) the key ring is built from
``DATA_ENCRYPTION_KEY`` and ``DATA_ENCRYPTION_KEY_OLD`` and installed for every encrypted
column; a start whose keys cannot open the data already stored is refused with one
sentence (exit status 7), since serving would fail on every patient it could not read.
The current key's id is registered before anything is sealed with it.

``rotate`` re-seals every value not sealed with the current key, one short transaction
per batch, beside the running bot: a row the bot wrote meanwhile is left alone (it is
already sealed with the current key when the bot runs with it) and looked at again in
the next pass. Keys are never printed; key ids (a fingerprint) are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from bot.config import ExitCode, Settings, StartupError
from bot.db import keys
from bot.db.crypto import EncryptionError, KeyRing, current_keys, use_keys
from bot.db.session import Database

__all__ = ["RotationReport", "keys_from_settings", "prepare_encryption", "rotate"]

log = logging.getLogger(__name__)

#: Seconds the start-up check may take (it opens a few values of each encrypted column).
CHECK_TIMEOUT = 15.0
#: Passes over the data before a rotation gives up on rows the bot keeps changing.
MAX_PASSES = 3
#: A batch that met a lock is tried again after these pauses (seconds).
LOCKED_RETRIES = (0.2, 0.5, 1.0, 2.0)
#: A pause between batches, so the bot's own steps get the database in between.
BATCH_PAUSE = 0.02


def keys_from_settings(settings: Settings) -> KeyRing:
    """The key ring the settings name; a malformed key is one sentence (exit status 7)."""
    current = settings.data_encryption_key
    old = settings.data_encryption_key_old
    try:
        return KeyRing.from_keys(
            current.get_secret_value() if current is not None else None,
            old.get_secret_value().split(",") if old is not None else (),
        )
    except EncryptionError as exc:
        raise StartupError(str(exc), ExitCode.ENCRYPTION_KEY) from None


def _cannot_open(missing: set[str], ring: KeyRing) -> StartupError:
    ids = ", ".join(sorted(missing))
    if ring.current_id is None:
        sentence = (
            f"The database holds encrypted data (key id {ids}) but DATA_ENCRYPTION_KEY is not "
            "set; set it to the key the data was stored with."
        )
    else:
        sentence = (
            f"DATA_ENCRYPTION_KEY (key id {ring.current_id}) cannot open data stored with key "
            f"id {ids}; set the key it was stored with, or, to move to a new key, keep the old "
            "one in DATA_ENCRYPTION_KEY_OLD and run coach rotate-key."
        )
    return StartupError(sentence, ExitCode.ENCRYPTION_KEY)


async def prepare_encryption(
    settings: Settings, database: Database, *, register: bool = True
) -> KeyRing:
    """Install the settings' keys, refuse keys that cannot open what is stored, and
    register the current key (unless not ``register``: ``coach rotate-key`` looks first);
    without a key, warn once that data is stored readable."""
    ring = keys_from_settings(settings)
    use_keys(ring)

    def check(connection: Connection) -> set[str]:
        missing = keys.unreadable_key_ids(connection, ring)
        if register and not missing and ring.current_id is not None:
            keys.register_key(connection, ring.current_id)
        return missing

    missing = await database.transaction(check, timeout=CHECK_TIMEOUT)
    if missing:
        raise _cannot_open(missing, ring)
    if ring.current_id is None:
        log.warning(
            "DATA_ENCRYPTION_KEY is not set: patients' words are stored unencrypted "
            "(README.md, 'Encryption at rest')"
        )
    else:
        log.info("encryption at rest on key_id=%s keys=%d", ring.current_id, len(ring.key_ids))
    return ring


@dataclass
class RotationReport:
    """What a rotation did, per column: values re-sealed, and values still not on the key."""

    resealed: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)
    forgotten_keys: int = 0

    @property
    def complete(self) -> bool:
        return not any(self.remaining.values())


async def rotate(
    database: Database,
    *,
    batch: int = 500,
    bot_stopped: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Re-seal everything with the installed ring's current key (``prepare_encryption``
    first). ``progress(column, resealed so far)`` is called after each batch.

    Unless ``bot_stopped``, a coach must have started with the new key already: a bot
    still running on the old key alone could not read what is re-sealed."""
    ring = current_keys()
    if ring.current_id is None:
        raise StartupError(
            "coach rotate-key needs the new key in DATA_ENCRYPTION_KEY (and the old one in "
            "DATA_ENCRYPTION_KEY_OLD); README.md, 'Encryption at rest', has the steps.",
            ExitCode.ENCRYPTION_KEY,
        )
    registered = await database.transaction(keys.registered_keys)
    if not bot_stopped and ring.current_id not in registered:
        raise StartupError(
            f"No coach has started with the new key (key id {ring.current_id}) yet: restart "
            "the bot with DATA_ENCRYPTION_KEY set to it and the old key in "
            "DATA_ENCRYPTION_KEY_OLD, then rotate (or add --bot-stopped if no bot is running).",
            ExitCode.ENCRYPTION_KEY,
        )
    await database.transaction(lambda c: keys.register_key(c, ring.current_id or ""))
    report = RotationReport()
    columns = keys.sealed_columns()
    for _ in range(MAX_PASSES):
        raced = 0
        for sealed in columns:
            after = None
            while True:
                done = await _batch(database, sealed, ring, after, batch)
                report.resealed[sealed.name] = report.resealed.get(sealed.name, 0) + done.resealed
                raced += done.raced
                if progress is not None and done.resealed:
                    progress(sealed.name, report.resealed[sealed.name])
                if done.seen < batch:
                    break
                after = done.last_key
                await asyncio.sleep(BATCH_PAUSE)
        if raced == 0:
            break

    def finish(connection: Connection) -> int:
        for sealed in columns:
            report.remaining[sealed.name] = keys.count_not_current(connection, sealed, ring)
        if report.complete:
            return keys.forget_keys_except(connection, ring.current_id)
        return 0

    report.forgotten_keys = await database.transaction(finish)
    log.info(
        "key rotation key_id=%s resealed=%d remaining=%d",
        ring.current_id,
        sum(report.resealed.values()),
        sum(report.remaining.values()),
    )
    return report


async def _batch(
    database: Database, sealed: keys.SealedColumn, ring: KeyRing, after: object, limit: int
) -> keys.Batch:
    for pause in (*LOCKED_RETRIES, None):
        try:
            return await database.transaction(
                lambda c: keys.reseal_batch(c, sealed, ring, after=after, limit=limit)
            )
        except OperationalError:
            if pause is None:
                raise
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")
