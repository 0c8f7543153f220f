"""The ``coach`` command line: argv -> Settings -> build -> run (see ``bot.cli.main``)."""

from bot.cli.main import main

__all__ = ["main"]
