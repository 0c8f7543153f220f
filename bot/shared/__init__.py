"""Plain values every layer may use; imports nothing else from ``bot``.

* ``messages``: what crosses the engine's boundary (Inbound, OutboundMessage, Turn, records).
* ``conversation``: a conversation as serialisable data (frames, the typed Hold).
* ``tokens``: every button token, encoded and parsed in one place.
* ``content``: the texts of ``content/*.yaml`` and rendering them.
* ``problems``, ``yamlio``: ``file:line`` problems and YAML read with line numbers.
"""
