"""``coach validate``, ``coach test-flows``, ``coach schema``, ``coach diagram``: the
clinicians' checks of flows and texts, and the helpers that load them for every command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.shared.problems import Problem

if TYPE_CHECKING:
    from bot.flow.engine import Engine
    from bot.flow.library import FlowLibrary


def validate(args: argparse.Namespace, settings: Settings) -> int:
    problems = validation_problems(settings, args.paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print("All flows, texts and crisis lists are valid.")
    return 0


def validation_problems(settings: Settings, paths: Sequence[Path] = ()) -> list[Problem]:
    """Every problem in the flows (or just ``paths``), the texts and the crisis lists."""
    from bot.flow.library import flow_files, load_library
    from bot.safety.validate import validate_crisis_file

    flows_dir = Path(settings.flows_dir)
    content_dir = Path(settings.content_dir)
    chosen: list[Path] = []
    for path in paths:
        if path.is_dir():
            chosen.extend(flow_files(path))
        elif path.exists():
            chosen.append(path)
        else:
            return [Problem(str(path), 1, "there is no such file or folder")]
    files = {p.resolve(): p for p in flow_files(flows_dir)} if flows_dir.is_dir() else {}
    files.update({p.resolve(): p for p in chosen})
    library = load_library(flows_dir, content_dir, files=list(files.values()))
    problems = list(library.problems)
    if chosen:
        wanted = {_shown(p) for p in chosen}
        problems = [
            p
            for p in problems
            if p.file in wanted or not p.file.endswith(".yaml") or "content" in p.file
        ]
    crisis = content_dir / "crisis.yaml"
    problems.extend(
        validate_crisis_file(crisis)
        if crisis.exists()
        else [Problem(str(crisis), 1, "the crisis lists are missing")]
    )
    problems.extend(intents_problems(settings, library))
    return sorted(set(problems))


def intents_problems(settings: Settings, library: FlowLibrary) -> list[Problem]:
    """The problems of content/intents.yaml (the words that route), against the flows."""
    from bot.safety.intents import INTENTS_FILE, validate_intents_file

    return validate_intents_file(Path(settings.content_dir) / INTENTS_FILE, library.flows)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def test_flows(args: argparse.Namespace, settings: Settings) -> int:
    from bot.authoring.testing import conversation_test_files, run_test_file

    library = load_flows(settings)
    for problem in library.problems:
        print(f"(not loaded) {problem}")
    unknown = [f for f in args.flows if f not in library.flows]
    if unknown:
        if (Path(settings.flows_dir) / f"{unknown[0]}.yaml").exists():
            message = (
                f'The flow "{unknown[0]}" did not load (its problems are above); fix them first.'
            )
        else:
            message = (
                f'There is no flow "{unknown[0]}" to test. The flows are: '
                f"{', '.join(sorted(library.flows))}"
            )
        print(message, file=sys.stderr)
        return 1
    engine = engine_for(settings, library)
    files = conversation_test_files(Path(settings.flows_dir) / "tests")
    if args.changed:
        chosen = _changed_test_files(settings, library)
        if chosen is None:
            return 2
        if not chosen:
            return 0
        files = chosen
    passed = failed = 0
    for path in files:
        for result in run_test_file(engine, path, _shown(path)):
            if args.flows and result.flow not in args.flows:
                continue
            if result.passed:
                passed += 1
                print(f"ok    {result.flow}: {result.name}")
            else:
                failed += 1
                print(f"FAIL  {result.flow}: {result.name}")
                for failure in result.failures:
                    print(f"      {failure}")
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed or (library.problems and not passed) else 0


def _changed_test_files(settings: Settings, library: FlowLibrary) -> list[Path] | None:
    """The test files for `test-flows --changed`; None when git cannot tell."""
    from bot.authoring.changed import NotInGit, git_changed_files, select_changed_tests

    flows_dir, content_dir = Path(settings.flows_dir), Path(settings.content_dir)
    try:
        changed = git_changed_files(flows_dir if flows_dir.is_dir() else Path.cwd())
    except NotInGit as exc:
        print(
            f"--changed asks git what changed since the last commit, and git said: {exc}\n"
            "Run `coach test-flows` (every test) or `coach test-flows FLOW` instead.",
            file=sys.stderr,
        )
        return None
    found = select_changed_tests(library, flows_dir, content_dir, changed)
    if not found.changed:
        print("Nothing changed in flows/ or content/ since the last commit; no tests to run.")
        return []
    print("Changed: " + ", ".join(_shown(p) for p in found.changed))
    if not found.files:
        print(
            f"No conversation tests cover {', '.join(found.flows) or 'these changes'}; "
            "add one in flows/tests/ (see docs/authoring.md)."
        )
        return []
    print(f"Testing flows: {', '.join(found.flows) or '(changed test files only)'}\n")
    return [Path(_shown(p)) for p in found.files]


def schema(args: argparse.Namespace, settings: Settings) -> int:
    from bot.authoring.editor_schema import crisis_schema_text, flow_schema_text

    crisis = args.output.with_name("crisis.schema.json")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(flow_schema_text(), encoding="utf-8")
    crisis.write_text(crisis_schema_text(), encoding="utf-8")
    print(f"Wrote {args.output} and {crisis}")
    return 0


def diagram(args: argparse.Namespace, settings: Settings) -> int:
    from bot.authoring.diagram import all_diagrams

    library = checked_library(settings)
    if library is None:
        return 1
    unknown = [f for f in args.flows if f not in library.flows]
    if unknown:
        print(
            f'There is no flow "{unknown[0]}". The flows are: {", ".join(sorted(library.flows))}',
            file=sys.stderr,
        )
        return 1
    stale = 0
    drawn = all_diagrams(library, args.output_dir, args.flows)
    if not args.flows and args.output_dir.is_dir():
        for gone in sorted(set(args.output_dir.glob("*.md")) - set(drawn)):
            if "Drawn by `coach diagram`" not in gone.read_text(encoding="utf-8"):
                continue  # not ours: leave it alone
            stale += args.check
            print(
                f"{gone} is of a flow that no longer exists; "
                + ("run `coach diagram`" if args.check else "removed")
            )
            if not args.check:
                gone.unlink()
    for path, text in drawn.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale += 1
            print(f"{path} is out of date; run `coach diagram`")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"Wrote {path}")
    return 1 if stale else 0


# -- helpers --------------------------------------------------------------------------------


def load_flows(settings: Settings) -> FlowLibrary:
    from bot.coach.build import build_library

    return build_library(settings)


def engine_for(settings: Settings, library: FlowLibrary) -> Engine:
    from bot.coach.build import build_engine

    return build_engine(settings, library)


def checked_library(settings: Settings) -> FlowLibrary | None:
    """The bot does not start with broken flows: a clinician fixes them first."""
    library = load_flows(settings)
    problems = library.problems + intents_problems(settings, library)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(
            f"\n{len(problems)} problem(s); run `coach validate` after fixing them.",
            file=sys.stderr,
        )
        return None
    return library


def require_folders(settings: Settings) -> None:
    """The flows and texts are where the settings say, or one sentence saying where to look."""
    from bot.config import ExitCode, StartupError

    for name, folder in (("FLOWS_DIR", settings.flows_dir), ("CONTENT_DIR", settings.content_dir)):
        path = Path(folder)
        if not path.is_dir():
            raise StartupError(
                f"The folder {str(path)!r} ({name}) was not found in {Path.cwd()}; run coach "
                f"from the project folder, or set {name} to where it is.",
                ExitCode.FILES_NOT_FOUND,
            )
