"""``coach chat``: the terminal channel, with the try-out checks and a quiet ending.

A typo in ``--flow``, ``--from`` or ``--set`` is one sentence and exit 1 or 2; Ctrl-C
ends at once (exit 130); a reader that stops reading (``coach chat | head``) ends it
quietly, with no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.cli import flows
from bot.config import Settings

#: The shell's status for a command stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130


def chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.authoring.tryout import TryoutError, check_tryout, parse_variables
    from bot.coach.build import build_coach
    from bot.sim import run_chat

    flows.require_folders(settings)
    library = flows.load_flows(settings)
    for problem in library.problems:
        print(f"(not loaded) {problem}", file=sys.stderr)
    if args.flow and args.flow not in library.flows:
        print(
            f'There is no flow "{args.flow}". The flows are: {", ".join(sorted(library.flows))}',
            file=sys.stderr,
        )
        return 1
    try:
        variables = parse_variables(args.variables)
        notes = check_tryout(library, args.flow, args.from_step, variables)
    except TryoutError as exc:
        print(exc, file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    logging.getLogger("bot").setLevel(logging.WARNING)

    async def go() -> None:
        # The terminal is the clinician's own try-out: its one "patient" is stored as if
        # they had said yes at /start (bot.coach.passing is for Telegram's patients).
        coach = await build_coach(settings, "terminal", library, assume_consent=True)
        try:
            await run_chat(
                coach.service,
                patient=args.patient,
                flow_id=args.flow,
                from_step=args.from_step,
                variables=variables,
            )
        finally:
            await coach.close()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the half-typed line; nothing else to say
        return INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()
    return 0


def _discard_stdout() -> None:
    """The reader of standard output went away: send what is left (Python's final flush)
    nowhere, so no 'Exception ignored ... BrokenPipeError' is printed at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
