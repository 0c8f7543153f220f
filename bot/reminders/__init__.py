"""Daily check-in reminders: when they are due, who sends them, and exactly once.

* ``schedule``: pure functions: the next due UTC instant from a wall time in an IANA zone
  (daylight-saving gaps and folds handled; skip one date, resume on a date).
* ``store``: the ``reminders`` rows (next due, skip, pause, unanswered count) and the
  ``reminder_sends`` rows (one per claimed reminder); claiming is atomic.
* ``dispatcher``: the asyncio loop that claims due reminders, opens the check-in and
  sends one neutral message with its first buttons through a channel's callable.

No Telegram here: ``bot.tg.reminders`` runs the dispatcher beside the bot.
"""
