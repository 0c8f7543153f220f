"""Encryption at rest for patients' words: one key ring, two column types.

Any column that can hold what a patient typed or chose to be called is declared with
``EncryptedText`` (in place of ``String``/``Text``) or ``EncryptedJSON`` (in place of
``JSON``)::

    from bot.db.crypto import EncryptedText
    note: Mapped[str | None] = mapped_column(EncryptedText())

With a key in use (``DATA_ENCRYPTION_KEY``), each value is sealed with AES-256-GCM and
stored as ``enc1:<key id>:<base64url(nonce + ciphertext + tag)>``; a JSON value is sealed
as that string inside the JSON column, so neither type changes the column's DDL and rows
stored before a key was set stay readable. The key id (8 hex digits of a SHA-256 of the
key, never the key) says which key sealed a value, so several keys can coexist while
``coach rotate-key`` moves the data from one to the next. Without a key values are stored
as they are, as before encryption existed.

The key ring is process-wide because column types are built when the models are
imported, long before the settings are read: ``bot.coach.encryption`` installs it at
start with ``use_keys``. Callers never see ciphertext: values come back decrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "PREFIX",
    "ChatNames",
    "EncryptedJSON",
    "EncryptedText",
    "EncryptionError",
    "KeyRing",
    "SharedSecret",
    "current_keys",
    "key_id_of",
    "use_keys",
]

#: Every sealed value starts with this; the version lets the format change later.
PREFIX = "enc1:"
KEY_ID_LENGTH = 8
_NONCE_BYTES = 12
_KEY_BYTES = 32


class EncryptionError(Exception):
    """A key is malformed, or a stored value cannot be opened with the keys given."""


def key_id_of(sealed: str) -> str | None:
    """The id of the key that sealed ``sealed``; None for a value stored in the clear."""
    if not sealed.startswith(PREFIX):
        return None
    return sealed[len(PREFIX) : len(PREFIX) + KEY_ID_LENGTH]


def _parse_key(encoded: str, name: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != _KEY_BYTES:
        # Never the value itself: it may be a real key with a typo.
        raise EncryptionError(
            f"{name} is not a key: it must be 32 random bytes in URL-safe base64 "
            "(44 characters); README.md, 'Encryption at rest', says how to make one."
        )
    return key


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"coach data key id\x00" + key).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class SharedSecret:
    """What every process of one bot shares to seal what is not in a patient's own row (an
    unconsented chat's place, a spooled safety event): ``COACH_SECRET``, else the bot's
    token. ``old``: earlier secrets that only open and find what they sealed, so changing
    the secret (or the token) loses nothing that is waiting."""

    current: bytes
    old: tuple[bytes, ...] = ()

    def derived(self, purpose: bytes) -> list[bytes]:
        """One key per secret for ``purpose``, the current secret's first."""
        return [hmac.digest(secret, purpose, "sha256") for secret in (self.current, *self.old)]


class ChatNames:
    """Names a chat to this bot only: its keyed hash (HMAC-SHA256 of ``channel:id``, hex)
    under each secret's key for ``purpose``, the current secret's first, so what an old
    secret named is still found."""

    def __init__(self, secret: SharedSecret, purpose: bytes) -> None:
        self._keys = secret.derived(purpose)

    def of(self, channel: str, external_id: str) -> list[str]:
        name = f"{channel}:{external_id}".encode()
        return [hmac.new(key, name, hashlib.sha256).hexdigest() for key in self._keys]


@dataclass(frozen=True)
class KeyRing:
    """The key that seals new values (``current``) and every key that may open old ones."""

    current_id: str | None = None
    _keys: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    @classmethod
    def derived(cls, secret: SharedSecret, purpose: bytes) -> KeyRing:
        """A ring whose keys are derived from ``secret`` for ``purpose`` (HMAC-SHA256):
        what every process sharing the secret can seal and open with, and a different key
        for each purpose. New values are sealed with the current secret's key; the old
        secrets' keys only open."""
        current, *old = (
            base64.urlsafe_b64encode(key).decode("ascii") for key in secret.derived(purpose)
        )
        return cls.from_keys(current, old)

    @classmethod
    def from_keys(cls, current: str | None, old: Iterable[str] = ()) -> KeyRing:
        """``current``: the new values' key (None: store in the clear); ``old``: keys that
        only open values (a rotation's previous key). Raises EncryptionError, one sentence."""
        keys: dict[str, AESGCM] = {}
        current_id = None
        if current is not None and current.strip():
            key = _parse_key(current, "DATA_ENCRYPTION_KEY")
            current_id = _fingerprint(key)
            keys[current_id] = AESGCM(key)
        for encoded in old:
            if encoded.strip():
                key = _parse_key(encoded, "DATA_ENCRYPTION_KEY_OLD")
                keys.setdefault(_fingerprint(key), AESGCM(key))
        return cls(current_id, keys)

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def seal(self, plain: str, associated: bytes | None = None) -> str:
        """``plain`` sealed with the current key; unchanged when there is none.

        ``associated``: bytes the value is bound to (AES-GCM's associated data, not stored):
        it opens only with the same bytes, e.g. the key of the row it belongs to.
        """
        if self.current_id is None:
            return plain
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self.current_id].encrypt(nonce, plain.encode("utf-8"), associated)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.current_id}:{body}"

    def unseal(self, stored: str, associated: bytes | None = None) -> str:
        """The plain text of a stored value (a value stored in the clear comes back as is);
        ``associated`` as it was given to ``seal``."""
        key_id = key_id_of(stored)
        if key_id is None:
            return stored
        aead = self._keys.get(key_id)
        if aead is None:
            raise EncryptionError(f"a value is sealed with key id {key_id}, which is not given")
        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX) + KEY_ID_LENGTH + 1 :])
            plain = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated)
            return plain.decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise EncryptionError(f"a value sealed with key id {key_id} is damaged") from exc


_ring = KeyRing()


def use_keys(ring: KeyRing) -> None:
    """Seal and open every encrypted column of this process with ``ring`` from now on."""
    global _ring
    _ring = ring


def current_keys() -> KeyRing:
    return _ring


class EncryptedText(TypeDecorator[str]):
    """Text a patient gave (a name, a note): sealed when a key is in use."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _ring.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _ring.unseal(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document holding a patient's answers: sealed (as one JSON string) when a key
    is in use; a document stored in the clear is read as before."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or _ring.current_id is None:
            return value
        return _ring.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(_ring.unseal(value))
        return value
