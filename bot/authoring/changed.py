"""Which conversation tests to run after an edit (`coach test-flows --changed`).

A clinician who changed one text wants the tests of the flows that show it, not all of
them. Changed means what git sees since the last commit: modified, added or untracked
files under flows/ and content/. A content file ``content/X.yaml`` affects every flow
using a key ``X.…``; ``system.yaml`` and ``crisis.yaml`` affect every flow; a flow also
affects the flows that call or start it, whose tests walk through it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.flow.library import FlowLibrary
from bot.flow.rules import content_keys_of
from bot.shared.yamlio import read_yaml

EVERY_FLOW_CONTENT = frozenset({"system", "crisis"})


class NotInGit(RuntimeError):
    """--changed needs git to know what changed."""


@dataclass
class ChangedTests:
    """The test files to run and why (the changed flows), for the clinician to read."""

    files: list[Path] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)


def git_changed_files(inside: Path) -> list[Path]:
    """Absolute paths changed since the last commit, untracked ones included."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=inside, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotInGit(f"git could not be run ({type(exc).__name__})") from exc
        if done.returncode != 0:
            raise NotInGit(done.stderr.strip() or "git failed")
        return done.stdout

    top = Path(git("rev-parse", "--show-toplevel").strip())
    names = git("diff", "--name-only", "HEAD").splitlines()
    names += git("ls-files", "--others", "--exclude-standard", "--full-name").splitlines()
    return sorted({(top / name).resolve() for name in names if name.strip()})


def select_changed_tests(
    library: FlowLibrary, flows_dir: Path, content_dir: Path, changed: Iterable[Path]
) -> ChangedTests:
    flows_dir, content_dir = flows_dir.resolve(), content_dir.resolve()
    tests_dir = flows_dir / "tests"
    by_file = {Path(c.file).resolve(): c.id for c in library.flows.values()}
    result = ChangedTests()
    flows: set[str] = set()
    files: set[Path] = set()
    for path in changed:
        if path.suffix not in (".yaml", ".yml"):
            continue
        if path.parent == tests_dir:
            files.add(path)
        elif path.parent == flows_dir:
            flows.add(by_file.get(path, path.stem))
        elif path.parent == content_dir:
            flows |= _flows_using(library, path.stem)
        else:
            continue
        result.changed.append(path)
    flows |= _callers(library, flows)
    for test_file in sorted(tests_dir.glob("*.yaml")) if tests_dir.is_dir() else ():
        if test_file.resolve() in files or _tested_flow(test_file) in flows:
            files.add(test_file.resolve())
    result.flows = sorted(flows)
    result.files = sorted(p for p in files if p.exists())
    return result


def _flows_using(library: FlowLibrary, content_file: str) -> set[str]:
    if content_file in EVERY_FLOW_CONTENT:
        return set(library.flows)
    prefix = content_file + "."
    found = set()
    for compiled in library.flows.values():
        keys = [k for step in compiled.flow.steps.values() for k, _ in content_keys_of(step)]
        keys.append(compiled.flow.start.menu or "")
        if any(k.startswith(prefix) for k in keys):
            found.add(compiled.id)
    return found


def _callers(library: FlowLibrary, flows: set[str]) -> set[str]:
    """Every flow that reaches one of ``flows`` through call: or start_flow:."""
    found = set(flows)
    grew = True
    while grew:
        grew = False
        for compiled in library.flows.values():
            if compiled.id in found:
                continue
            if any((s.call or s.start_flow) in found for s in compiled.flow.steps.values()):
                found.add(compiled.id)
                grew = True
    return found - flows


def _tested_flow(test_file: Path) -> str | None:
    try:
        data = read_yaml(test_file, str(test_file)).data
    except Exception:  # noqa: BLE001 - a broken test file is reported when it runs
        return None
    return str(data.get("flow")) if isinstance(data, dict) else None
