"""Run the Bot API emulator standalone: ``python -m tests.tg_emulator --port 8081``.

Prints one line ``tg-emulator listening base_url=http://127.0.0.1:PORT/bot token=TOKEN`` once
ready (use ``--port 0`` for a random free port and parse that line), then serves until SIGINT or
SIGTERM.  Drive it through the control API documented in ``tests/tg_emulator/server.py``
(``POST /_emu/send``, ``POST /_emu/press``, ``GET /_emu/sent``, ``GET /_emu/wait``,
``POST /_emu/config``, ``GET /_emu/stats``, ``POST /_emu/reset``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import BotApiEmulator


async def _serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(
        token=args.token, host=args.host, port=args.port, strict_html=not args.lenient_html
    )
    async with emu:
        if args.rate_limit:
            emu.set_rate_limit(args.rate_limit, 1.0)
        print(f"tg-emulator listening base_url={emu.base_url} token={emu.token}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.tg_emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 = random free port")
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="answer 429 above this many sends per second (0 = off)",
    )
    parser.add_argument(
        "--lenient-html", action="store_true", help="accept bare & and > in HTML like tdlib does"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
