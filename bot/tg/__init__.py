"""The Telegram channel: the only package that imports ``telegram``.

It turns Telegram updates into ``Inbound`` events for ``CoachService.handle`` and sends the
``OutboundMessage`` values it returns; it holds no conversation logic of its own.
"""

from bot.tg.runner import build_application, run_bot, running_bot

__all__ = ["build_application", "run_bot", "running_bot"]
