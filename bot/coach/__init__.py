"""The application layer: the only thing the channels (Telegram, the terminal) call.

* ``service``: one inbound event = one transaction (step, records, safety events, update id).
* ``privacy``: /export and /delete; ``notes``: on-call and building-risk notes.
* ``screening``: the crisis detector behind the engine's Screener seam.
* ``build``: settings -> the current engine, the database, the service; ``reload``: swap it.
* ``reminders``: the loop that claims due reminders and opens the check-in.
"""
