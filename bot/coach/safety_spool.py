"""Safety events answered while the database was away, kept on disk until it is back.

A crisis message is answered before any database call (bot.coach.service). When its step
cannot be stored, its safety event (the category, the rule and the time; never words)
must still reach the database, and the on-call notice it earns must still go out, even if
the process is killed or restarted first. So it is written here before anything else:

* one small file per event in the spool folder, written whole (a temporary name, fsync,
  then a rename), readable by the bot's user only;
* sealed (AES-256-GCM, bot.db.crypto) with a key derived from the secret every process of
  the bot shares (``COACH_SECRET`` or its token, as for bot.coach.passing);
* naming the chat by a keyed hash only (``chat_key``), never by its id: the event must be
  written before the database can say whether the chat agreed to be stored, and a chat
  that never did is then stored with no patient. ``chat_keys`` gives a chat's hash under
  every secret, so the service finds the patient among those who agreed;
* claimed by renaming it before it is stored: of several processes sharing the folder only
  one gets each file. Stored, it is deleted; a failed store gives it back. A claim a killed
  process left is given back after ``STALE_CLAIM_SECONDS``.

A file that cannot be opened (the token changed, the file was damaged) is set aside with the
suffix ``.unreadable`` and logged, never retried for ever.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.db.crypto import ChatNames, EncryptionError, KeyRing, SharedSecret
from bot.shared.messages import SafetyEvent

__all__ = ["STALE_CLAIM_SECONDS", "SafetySpool", "SpooledEvent"]

log = logging.getLogger(__name__)

#: A claim older than this was left by a process that died while storing it.
STALE_CLAIM_SECONDS = 120.0
_WAITING = ".event"
_CLAIMED = ".claimed"
_UNREADABLE = ".unreadable"


@dataclass(frozen=True)
class SpooledEvent:
    """One safety event waiting for the database: what, when it happened, and whose chat:
    its keyed hash as the spool keeps it, or its id (held in memory, or in a file an older
    version wrote)."""

    event: SafetyEvent
    at: datetime
    chat_key: str | None = None
    external_id: str | None = None


class Claim:
    """A spooled event this process holds: ``done`` once stored, ``give_back`` if not."""

    def __init__(self, path: Path, waiting: Path, spooled: SpooledEvent) -> None:
        self._path = path
        self._waiting = waiting
        self.spooled = spooled

    def done(self) -> None:
        self._path.unlink(missing_ok=True)

    def give_back(self) -> None:
        with contextlib.suppress(FileNotFoundError):  # handed back as stale meanwhile
            os.rename(self._path, self._waiting)


class SafetySpool:
    """The spool folder. ``secret``: shared by every process of the bot (``COACH_SECRET`` or
    its token; an old one still opens the files it sealed); without one (the terminal) the
    files are kept unsealed, on the clinician's own machine."""

    def __init__(self, folder: Path, secret: SharedSecret | None) -> None:
        self.folder = folder
        # Without a secret the file is not sealed either: the hash only keeps one shape.
        self._chat_names = ChatNames(
            secret or SharedSecret(b"coach unsealed spool"), b"coach safety spool: chat key"
        )
        self._ring = (
            KeyRing.from_keys(None)
            if secret is None
            else KeyRing.derived(secret, b"coach safety spool: seal")
        )

    def chat_keys(self, channel: str, external_id: str) -> list[str]:
        """The chat's keyed hash under each secret, the current one first."""
        return self._chat_names.of(channel, external_id)

    def add(
        self, channel: str, external_id: str, event: SafetyEvent, at: datetime | None = None
    ) -> None:
        """Keep one event on disk, durably, before this returns. Raises OSError (a full
        disk, a read-only folder): the caller still tries the database from memory."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        plain = json.dumps(
            {
                "chat_key": self.chat_keys(channel, external_id)[0],
                "category": event.category,
                "rule": event.rule_id,
                "at": (at or datetime.now(UTC)).isoformat(),
            },
            separators=(",", ":"),
        )
        sealed = self._ring.seal(plain, associated=name.encode("ascii"))
        temporary = self.folder / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, sealed.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, self.folder / f"{name}{_WAITING}")
        _sync_folder(self.folder)

    def waiting(self) -> int:
        """How many events wait (claimed ones included)."""
        if not self.folder.is_dir():
            return 0
        return sum(1 for p in self.folder.iterdir() if p.suffix in (_WAITING, _CLAIMED))

    def claims(self, owner: str) -> Iterator[Claim]:
        """Each waiting event this process manages to claim, oldest first."""
        if not self.folder.is_dir():
            return
        self._give_back_stale()
        for waiting in sorted(self.folder.glob(f"*{_WAITING}"), key=_age):
            claimed = waiting.with_name(f"{waiting.stem}.{owner}{_CLAIMED}")
            try:
                os.rename(waiting, claimed)
                os.utime(claimed)  # the claim's age, not the event's
            except FileNotFoundError:  # another process claimed it first
                continue
            spooled = self._open(claimed, waiting.stem)
            if spooled is not None:
                yield Claim(claimed, waiting, spooled)

    def _open(self, path: Path, name: str) -> SpooledEvent | None:
        try:
            stored = path.read_bytes()
        except FileNotFoundError:  # handed back meanwhile: another process will have it
            return None
        try:
            plain = self._ring.unseal(stored.decode("ascii"), associated=name.encode("ascii"))
            data = json.loads(plain)
            event = SafetyEvent(str(data["category"]), str(data["rule"]))
            at = datetime.fromisoformat(data["at"])
            if "chat_key" in data:
                return SpooledEvent(event, at, chat_key=str(data["chat_key"]))
            return SpooledEvent(event, at, external_id=str(data["chat"]))
        except (EncryptionError, ValueError, KeyError, TypeError) as exc:
            log.error(
                "a spooled safety event cannot be opened and is set aside error=%s",
                type(exc).__name__,
            )
            os.rename(path, path.with_name(f"{name}{_UNREADABLE}"))
            return None

    def _give_back_stale(self) -> None:
        now = time.time()
        for claimed in self.folder.glob(f"*{_CLAIMED}"):
            try:
                if now - claimed.stat().st_mtime < STALE_CLAIM_SECONDS:
                    continue
                name = claimed.name.split(".", 1)[0]
                os.rename(claimed, claimed.with_name(f"{name}{_WAITING}"))
            except FileNotFoundError:
                continue


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a power cut only once the folder is synced."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
