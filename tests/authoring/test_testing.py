"""Every flow's YAML conversation tests pass, and every menu flow has some."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.authoring.testing import conversation_test_files, run_test_file
from bot.flow.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
FILES = conversation_test_files(ROOT / "flows" / "tests")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_conversation_tests_pass(engine: Engine, path: Path) -> None:
    results = run_test_file(engine, path, str(path.relative_to(ROOT)))
    failures = [str(f) for r in results for f in r.failures]
    assert results and not failures, "\n".join(failures)


def test_every_flow_has_conversation_tests(engine: Engine) -> None:
    tested = {p.stem for p in FILES}
    called_only = {"example_breath"}
    missing = sorted(set(engine.library.flows) - tested - called_only)
    assert not missing, f"flows without tests in flows/tests/: {missing}"


def test_a_failing_script_names_file_line_and_what_came(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "example.yaml"
    bad.write_text(
        "flow: example\nscripts:\n  - name: wrong\n    steps:\n      - send: /example\n"
        "        expect:\n          says: [something else]\n"
    )
    (result,) = run_test_file(engine, bad, "flows/tests/example.yaml")
    (failure,) = result.failures
    assert str(failure).startswith("flows/tests/example.yaml:6: ")
    assert 'expected the coach to say "something else"' in str(failure)
