"""Which keys sealed what: the key-id register, the start-up check, and re-sealing in batches.

Every encrypted column (any column of type ``EncryptedText`` or ``EncryptedJSON`` in the
models, including tables added later) is found from the metadata, so a new table needs
nothing here. Like every function in bot.db: a connection in, plain values out, never a
commit; ``bot.coach.encryption`` runs them one short transaction at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Column, Table, Text, Update, bindparam, cast, delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.db.crypto import PREFIX, EncryptedJSON, EncryptedText, EncryptionError, KeyRing, key_id_of
from bot.db.models import Base, EncryptionKey, utcnow

#: How many of each column's newest values the start-up check opens.
SAMPLE_PER_COLUMN = 20


@dataclass(frozen=True, eq=False)
class SealedColumn:
    """One encrypted column, with the single-column primary key its rows are walked by."""

    table: Table
    column: Column[Any]
    key: Column[Any]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @cached_property
    def reseal(self) -> Update:
        """Write ``_value`` (sealed by the column's type) where the row still holds ``_raw``;
        built once, since building a statement costs more than running it."""
        return (
            update(self.table)
            .where(self.key == bindparam("_key"), _raw(self) == bindparam("_raw"))
            .values({self.column.name: bindparam("_value", type_=self.column.type)})
        )


def sealed_columns() -> list[SealedColumn]:
    """Every encrypted column of the models, in a stable order."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (EncryptedText, EncryptedJSON)):
                keys = list(table.primary_key.columns)
                if len(keys) != 1:
                    raise TypeError(f"{table.name}: an encrypted column needs a one-column key")
                found.append(SealedColumn(table, column, keys[0]))
    return found


def register_key(connection: Connection, key_id: str) -> None:
    """Note that ``key_id`` seals values from now on (before the first one is written)."""
    known = connection.execute(
        select(EncryptionKey.key_id).where(EncryptionKey.key_id == key_id)
    ).first()
    if known is None:
        connection.execute(insert(EncryptionKey).values(key_id=key_id, first_used_at=utcnow()))


def registered_keys(connection: Connection) -> set[str]:
    return set(connection.execute(select(EncryptionKey.key_id)).scalars())


def forget_keys_except(connection: Connection, keep: str | None) -> int:
    """After a complete rotation: only ``keep`` (or none) still seals anything."""
    query = delete(EncryptionKey)
    if keep is not None:
        query = query.where(EncryptionKey.key_id != keep)
    return connection.execute(query).rowcount


def _as_stored_text(raw: str, sealed: SealedColumn) -> str | None:
    """A value as the type stores it: the sealed string, or the plain text/JSON."""
    if isinstance(sealed.column.type, EncryptedJSON):
        decoded = json.loads(raw)
        return decoded if isinstance(decoded, str) else None
    return raw


def _raw(sealed: SealedColumn) -> Any:
    return cast(sealed.column, Text)


def unreadable_key_ids(connection: Connection, ring: KeyRing) -> set[str]:
    """Key ids of stored values that ``ring`` cannot open: from the register, and from
    each column's newest values (each of which is also opened, to prove the key)."""
    missing = registered_keys(connection) - ring.key_ids
    for sealed in sealed_columns():
        rows = connection.execute(
            select(_raw(sealed))
            .where(sealed.column.is_not(None))
            .order_by(sealed.key.desc())
            .limit(SAMPLE_PER_COLUMN)
        ).scalars()
        for raw in rows:
            stored = _as_stored_text(raw, sealed)
            key_id = key_id_of(stored) if stored is not None else None
            if key_id is None:
                continue
            try:
                ring.unseal(stored or "")
            except EncryptionError:
                missing.add(key_id)
    return missing


@dataclass(frozen=True)
class Batch:
    """One batch of a rotation: where it ended, how many values were re-sealed, and how
    many changed under it (written by the bot meanwhile; the next pass looks again)."""

    last_key: Any
    resealed: int
    raced: int
    seen: int


def reseal_batch(
    connection: Connection, sealed: SealedColumn, ring: KeyRing, *, after: Any, limit: int
) -> Batch:
    """Re-seal with the current key every value after primary key ``after`` (up to
    ``limit`` rows) that another key, or none, sealed. A row is only written if it still
    holds what was read, so a step the bot stored meanwhile is never overwritten."""
    query = select(sealed.key, _raw(sealed)).where(sealed.column.is_not(None))
    if after is not None:
        query = query.where(sealed.key > after)
    rows: Sequence[Any] = connection.execute(query.order_by(sealed.key).limit(limit)).all()
    resealed = raced = 0
    for key, raw in rows:
        stored = _as_stored_text(raw, sealed)
        if stored is not None and key_id_of(stored) == ring.current_id:
            continue
        if stored is not None and stored.startswith(PREFIX):
            plain = ring.unseal(stored)
            value: Any = (
                json.loads(plain) if isinstance(sealed.column.type, EncryptedJSON) else plain
            )
        else:
            value = json.loads(raw) if isinstance(sealed.column.type, EncryptedJSON) else raw
        result = connection.execute(sealed.reseal, {"_key": key, "_raw": raw, "_value": value})
        if result.rowcount == 1:
            resealed += 1
        else:
            raced += 1
    last = rows[-1][0] if rows else after
    return Batch(last, resealed, raced, len(rows))


def count_not_current(connection: Connection, sealed: SealedColumn, ring: KeyRing) -> int:
    """How many values of the column are not sealed with the current key (a full scan)."""
    query = select(_raw(sealed)).where(sealed.column.is_not(None))
    count = 0
    for raw in connection.execute(query).scalars():
        stored = _as_stored_text(raw, sealed)
        if stored is None or key_id_of(stored) != ring.current_id:
            count += 1
    return count
