"""Daily check-in reminders: when they are due, and claiming each exactly once.

* ``policy``: pure rules: whether a due reminder is sent (late, the patient busy, or held
  after a crisis response), when it turns gentle, how a profile change moves it, and the
  states of a send (``SendStatus``).
* ``schedule``: pure functions: the next due UTC instant from a wall time in an IANA zone
  (daylight-saving gaps and folds handled; skip one date, resume on a date).
* ``store``: the ``reminders`` and ``reminder_sends`` rows; claiming is atomic.

The loop that claims, opens the check-in and sends is the application layer's
(``bot.coach.reminders``); ``bot.tg.reminders`` runs it beside the bot.
"""
