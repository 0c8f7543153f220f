"""What Telegram sends this bot, and the webhook's options for `coach run --webhook`.

The same options serve the real bot and the end-to-end tests, so both run the hardened
server (``harden_webhook_server``) with the secret checked before any body is read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from telegram import Update

from bot.config import Settings, SettingsError
from bot.tg.webhook_server import harden_webhook_server

__all__ = ["ALLOWED_UPDATES", "webhook_options"]

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def _webhook_settings(settings: Settings) -> tuple[str, str]:
    if not settings.webhook_url or settings.webhook_secret is None:
        raise SettingsError(
            "`coach run --webhook` needs WEBHOOK_URL (the public https URL Telegram posts to) "
            "and WEBHOOK_SECRET (1-256 characters of A-Z, a-z, 0-9, _ and -) in .env"
        )
    return settings.webhook_url, settings.webhook_secret.get_secret_value()


def webhook_options(settings: Settings) -> dict[str, Any]:
    """The webhook server's options, the same for `coach run --webhook` and the tests."""
    url, secret = _webhook_settings(settings)
    harden_webhook_server(secret)  # timeouts, a connection cap, the secret before the body
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlparse(url).path.lstrip("/"),
        "webhook_url": url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
    }
