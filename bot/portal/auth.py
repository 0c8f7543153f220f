"""Who may sign in: argon2 passwords, TOTP codes used once, and the log-in guard.

Two limits stop guessing: an account locks for ``LOCK_MINUTES`` after ``LOCK_AFTER``
failures in a row (a right password does not open a locked account), and one address may
fail ``IP_FAILURES`` times in ``IP_WINDOW_SECONDS`` before every try from it is refused,
whichever account it names. Unknown emails cost the same argon2 work as known ones, so the
timing does not say which accounts exist.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "IP_FAILURES",
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "MIN_PASSWORD",
    "AddressGuard",
    "hash_password",
    "lock_until",
    "matching_totp_step",
    "new_secret_token",
    "new_totp_secret",
    "password_problem",
    "token_hash",
    "totp_uri",
    "verify_password",
]

LOCK_AFTER = 5
LOCK_MINUTES = 15
IP_FAILURES = 20
IP_WINDOW_SECONDS = 600.0
MIN_PASSWORD = 12
MAX_PASSWORD = 256
ISSUER = "Practice portal"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_secret_token() -> str:
    """A random token for a link or a cookie (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: a stolen table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_problem(password: str, again: str) -> str | None:
    """What is wrong with a new password, in one sentence; None when it will do."""
    if password != again:
        return "The two passwords are not the same; type the same one twice."
    if len(password) < MIN_PASSWORD:
        return f"Please choose a password of at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Please choose a password of at most {MAX_PASSWORD} characters."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password``; with no stored hash, spend the same time and say no."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD]) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (typed in or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_totp_step(secret: str, code: str, now: datetime, after_step: int) -> int | None:
    """The 30-second step ``code`` belongs to (this one or its neighbours), if it is later
    than ``after_step``: each code opens one log-in only."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=30 * offset)
        if secrets.compare_digest(totp.at(at), code):
            step = int(totp.timecode(at))
            return step if step > after_step else None
    return None


def lock_until(failures_before: int, now: datetime) -> datetime | None:
    """After this failure, is the account locked, and until when?"""
    if failures_before + 1 >= LOCK_AFTER:
        return now + timedelta(minutes=LOCK_MINUTES)
    return None


class AddressGuard:
    """Failed log-ins per client address in a sliding window (kept in this process)."""

    def __init__(
        self,
        limit: int = IP_FAILURES,
        window: float = IP_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, address: str) -> bool:
        return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        self._recent(address).append(self._clock())
        if len(self._failures) > 10_000:  # forget the oldest addresses, not the memory
            for key in list(self._failures)[:5_000]:
                del self._failures[key]

    def _recent(self, address: str) -> deque[float]:
        now = self._clock()
        seen = self._failures.setdefault(address, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        return seen
