"""The reload's own checks and words, without Telegram (the end-to-end test is in tests/tg)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.coach.reload import SHOWN_PROBLEMS, ReloadOutcome, prepare_engine
from bot.config import Settings
from bot.shared.problems import Problem

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Settings:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return Settings(flows_dir=tmp_path / "flows", content_dir=tmp_path / "content")


def test_broken_crisis_lists_stop_a_reload(tmp_path: Path) -> None:
    settings = _copy(tmp_path)
    (tmp_path / "content" / "crisis.yaml").write_text("categories: [\n", encoding="utf-8")
    engine, problems = prepare_engine(settings)
    assert engine is None and problems and all(p.file.endswith("crisis.yaml") for p in problems)


def test_good_files_give_a_new_engine(tmp_path: Path) -> None:
    engine, problems = prepare_engine(_copy(tmp_path))
    assert engine is not None and not problems and "example" in engine.library.flows


def test_the_admin_sees_at_most_a_screenful_of_problems() -> None:
    many = [Problem("flows/a.yaml", n, "wrong") for n in range(1, 31)]
    text = ReloadOutcome(many).summary()
    assert text.startswith("Reload refused: 30 problem(s). Still running the previous flows.")
    assert text.count("flows/a.yaml:") == SHOWN_PROBLEMS
    assert "and 10 more; run `coach validate`" in text
    assert ReloadOutcome(versions={"a": 1}, changed=["a"]).summary() == (
        "Reloaded 1 flows and every text. Flows changed or new: a."
    )
