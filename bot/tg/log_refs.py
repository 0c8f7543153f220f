"""Chats as logs name them: a short keyed digest, never the Telegram id itself.

The id of a private chat is the patient's Telegram user id: whoever reads the logs could
look the account up. Log lines say ``chat=c1a2b3c4d5e``, an HMAC-SHA256 of the id under a
key made when the process starts, so the lines one process writes about one chat can be
followed, but the id cannot be recovered, not even by trying every possible id (the key is
never written anywhere). What must be found again later is logged by the internal patient
id, as the service does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["chat_ref"]

_KEY = secrets.token_bytes(32)


def chat_ref(chat_id: int | str) -> str:
    """The name of ``chat_id`` in this process's logs."""
    digest = hmac.new(_KEY, str(chat_id).encode("ascii"), hashlib.sha256).hexdigest()
    return "c" + digest[:11]
