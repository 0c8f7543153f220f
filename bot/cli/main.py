"""``coach``: run the bot, try flows in the terminal, validate and test them.

argv -> Settings -> build -> run. Errors a clinician or an operator can fix are printed
as sentences with their place, never as tracebacks.

Each subcommand builds what it needs lazily, so ``coach validate`` never imports telegram;
the flow checks are in ``bot.cli.flows``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import flows, keys
from bot.cli import portal as portal_cli
from bot.cli.logs import redact
from bot.config import ExitCode, Settings, SettingsError, StartupError, load_settings

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "alembic", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Settings problem:\n{exc}", file=sys.stderr)
        return ExitCode.SETTINGS
    token = settings.telegram_bot_token
    redact([*([token.get_secret_value()] if token else []), *keys.key_values(settings)])
    try:
        return int(args.handler(args, settings) or 0)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.SETTINGS
    except StartupError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one sentence, the details in the (redacted) log
        log.error("coach stopped error=%s", type(exc).__name__, exc_info=True)
        print(
            f"The coach stopped on an unexpected error ({type(exc).__name__}); "
            "the log above has the details.",
            file=sys.stderr,
        )
        return ExitCode.UNEXPECTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="The practice's skills coach.")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the Telegram bot")
    run.add_argument(
        "--webhook", action="store_true", help="serve Telegram's webhook instead of polling"
    )
    run.add_argument("--verbose", action="store_true")
    run.add_argument(
        "--with-portal", action="store_true", help="serve the clinician portal in this process too"
    )
    run.set_defaults(handler=_run)

    chat = sub.add_parser("chat", help="talk to the coach in this terminal (no Telegram needed)")
    chat.add_argument("--flow", help="start this flow at once")
    chat.add_argument(
        "--patient", default="local", help="who you are (keeps separate conversations)"
    )
    chat.add_argument(
        "--from", dest="from_step", metavar="STEP", help="start the flow at this step (with --flow)"
    )
    chat.add_argument(
        "--set",
        dest="variables",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an answer the earlier steps would have saved, e.g. --set distress=8",
    )
    chat.set_defaults(handler=_chat)

    validate = sub.add_parser(
        "validate", help="check flows, texts and crisis lists; lists every problem"
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, help="flow files or folders (default: all)"
    )
    validate.set_defaults(handler=flows.validate)

    tests = sub.add_parser("test-flows", help="run the conversation tests in flows/tests/")
    tests.add_argument("flows", nargs="*", help="only these flow ids")
    tests.add_argument(
        "--changed",
        action="store_true",
        help="only the tests of flows changed (or whose texts changed) since the last commit",
    )
    tests.set_defaults(handler=flows.test_flows)

    schema = sub.add_parser(
        "schema",
        help="write the JSON Schemas of the flow format and, beside it, of the crisis file "
        "(for editors)",
    )
    schema.add_argument("--output", type=Path, default=Path("docs/flow.schema.json"))
    schema.set_defaults(handler=flows.schema)

    diagram = sub.add_parser(
        "diagram", help="draw each flow as a Mermaid diagram in docs/flows/<flow>.md"
    )
    diagram.add_argument("flows", nargs="*", help="only these flow ids (default: all)")
    diagram.add_argument("--output-dir", type=Path, default=Path("docs/flows"))
    diagram.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a diagram is out of date"
    )
    diagram.set_defaults(handler=flows.diagram)

    rotate = sub.add_parser(
        "rotate-key", help="re-encrypt stored data with DATA_ENCRYPTION_KEY (README.md)"
    )
    rotate.add_argument("--batch", type=keys.positive, default=500, help="rows per transaction")
    rotate.add_argument(
        "--bot-stopped", action="store_true", help="no coach has started with the new key yet"
    )
    rotate.set_defaults(handler=keys.rotate_key)

    safety = sub.add_parser(
        "safety", help="try the crisis lists: coach safety check [--report FILE.tsv]"
    )
    safety.add_argument("rest", nargs=argparse.REMAINDER)
    safety.set_defaults(handler=_safety)
    portal_cli.add_parsers(sub)
    return parser


# -- commands -------------------------------------------------------------------------------


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.config import example_booking_url
    from bot.tg.runner import run_bot

    flows.require_folders(settings)
    if example_booking_url(settings):
        print(
            f"Warning: BOOKING_URL is still the example ({settings.booking_url}); crisis "
            "answers and /book would link to nothing. Set it to the practice's booking page.",
            file=sys.stderr,
        )
    library = flows.checked_library(settings)
    if library is None:
        return 1
    return run_bot(
        settings, library, webhook=args.webhook, companions=portal_cli.companions(args, settings)
    )


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.chat import chat

    return chat(args, settings)


def _safety(args: argparse.Namespace, settings: Settings) -> int:
    from bot.safety.cli import run_safety_command

    return run_safety_command(
        list(args.rest), Path(settings.content_dir) / "crisis.yaml", sys.stdin, sys.stdout
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
