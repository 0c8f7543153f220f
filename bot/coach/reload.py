"""Re-read flows and content while the bot runs (SIGHUP or an admin's /reload).

A reload is all or nothing: the new flows, texts and crisis lists are loaded and checked
away from the event loop, and only when nothing is wrong is a new engine swapped in for
every next step. Conversations are not touched; they live in the database and each one
is brought onto the new flow versions by the engine (continue, ``migrate:``, or a kind
restart) the next time its patient writes. A reload that fails keeps the running version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.coach.build import Coach, build_engine, build_library
from bot.config import Settings
from bot.flow.engine import Engine
from bot.shared.problems import Problem

log = logging.getLogger(__name__)

#: Problems shown in one admin message; the rest are counted (`coach validate` lists all).
SHOWN_PROBLEMS = 20


@dataclass
class ReloadOutcome:
    """What a reload did: the problems that stopped it, or the flow versions now running."""

    problems: list[Problem] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Plain text for the admin (and the log on SIGHUP)."""
        if not self.ok:
            lines = [
                f"Reload refused: {len(self.problems)} problem(s). Still running the previous flows."
            ]
            lines += [str(p) for p in self.problems[:SHOWN_PROBLEMS]]
            if len(self.problems) > SHOWN_PROBLEMS:
                lines.append(
                    f"... and {len(self.problems) - SHOWN_PROBLEMS} more; run `coach validate`."
                )
            return "\n".join(lines)
        changed = ", ".join(self.changed) if self.changed else "none"
        return (
            f"Reloaded {len(self.versions)} flows and every text. Flows changed or new: {changed}."
        )


def prepare_engine(settings: Settings) -> tuple[Engine | None, list[Problem]]:
    """A new engine from what is on disk now, or the problems that prevent one."""
    from bot.safety.intents import INTENTS_FILE, validate_intents_file
    from bot.safety.validate import validate_crisis_file

    library = build_library(settings)
    problems = list(library.problems)
    crisis = settings.content_dir / "crisis.yaml"
    problems += (
        validate_crisis_file(crisis)
        if crisis.exists()
        else [Problem(str(crisis), 1, "the crisis lists are missing")]
    )
    problems += validate_intents_file(settings.content_dir / INTENTS_FILE, library.flows)
    if problems:
        return None, sorted(set(problems))
    return build_engine(settings, library), []


class Reloader:
    """Swaps a freshly checked engine into a running coach; one reload at a time."""

    def __init__(self, settings: Settings, coach: Coach) -> None:
        self.settings = settings
        self.coach = coach
        #: Called with the new engine after a swap (the channel's cached library, commands).
        self.listeners: list[Callable[[Engine], object]] = []
        self._lock = asyncio.Lock()

    async def reload(self) -> ReloadOutcome:
        async with self._lock:
            try:
                engine, problems = await asyncio.to_thread(prepare_engine, self.settings)
            except Exception as exc:  # noqa: BLE001 - a reload must never take the bot down
                log.exception("reload failed error=%s", type(exc).__name__)
                where = str(self.settings.flows_dir)
                return ReloadOutcome(
                    [Problem(where, 1, f"could not be read ({type(exc).__name__})")]
                )
            if engine is None:
                log.warning("reload refused problems=%d", len(problems))
                return ReloadOutcome(problems)
            old = {f.id: f.version for f in self.coach.engine.library.flows.values()}
            versions = {f.id: f.version for f in engine.library.flows.values()}
            changed = sorted(
                flow_id
                for flow_id, compiled in engine.library.flows.items()
                if old.get(flow_id) != compiled.version
                or flow_id not in self.coach.engine.library.flows
                or compiled.flow != self.coach.engine.library.flows[flow_id].flow
            )
            self.coach.current.swap(engine)  # one holder: service, channel and notices follow
            for listener in self.listeners:
                result = listener(engine)
                if asyncio.iscoroutine(result):
                    await result
            log.info("reloaded flows=%d changed=%d", len(versions), len(changed))
            return ReloadOutcome(versions=versions, changed=changed)

    async def reload_summary(self) -> str:
        """For an admin's /reload: the outcome in words."""
        return (await self.reload()).summary()

    async def reload_and_log(self) -> None:
        """For SIGHUP: nobody to answer, so the outcome goes to the log."""
        outcome = await self.reload()
        if outcome.ok:
            log.info("reload on SIGHUP succeeded")
        else:
            for problem in outcome.problems:
                log.warning("reload problem %s", problem)
