import io
from pathlib import Path

import pytest

from bot.safety.cli import run_safety_command

ROOT = Path(__file__).resolve().parents[2]
CRISIS = ROOT / "content" / "crisis.yaml"


def run(argv: list[str], stdin: str = "", crisis: Path = CRISIS) -> tuple[int, str]:
    out = io.StringIO()
    code = run_safety_command(argv, crisis, io.StringIO(stdin), out)
    return code, out.getvalue()


def test_check_prints_one_line_per_message() -> None:
    code, out = run(["check"], "I want to die\nnice walk today\n\nmy husband hits me\n")
    assert code == 0
    assert out.splitlines() == [
        "suicide\tsuicide.want_to_die",
        "none",
        "none",
        "abuse\tabuse.hurts_me",
    ]


def test_report(tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text(
        "# comment\n"
        "pos\tsuicide\tI want to die\n"
        "pos\tabuse\tthe sky is blue\n"
        "pos\tsuicide\tmy husband hits me\n"
        "neg\t-\tthis workout is killing me\n"
        "neg\t-\tkms\n"
        "amb\tsuicide\tmy cousin died by suicide\n",
        encoding="utf-8",
    )
    code, out = run(["check", "--report", str(tsv)])
    assert code == 0
    assert "positives: 1/3 found in the right category (recall 33.3%)" in out
    assert "  suicide: 1/2 (50.0%)" in out
    assert "negatives: 1/2 flagged (false-positive rate 50.0%)" in out
    assert "ambiguous: 0/1 flagged" in out
    assert f"  {tsv}:7: none\tmy cousin died by suicide" in out
    missed = out.split("missed positives: 1\n")[1].split("wrong category")[0]
    assert missed == f"  {tsv}:3: abuse\tthe sky is blue\n"
    assert f"  {tsv}:4: expected suicide, got abuse (abuse.hurts_me)\tmy husband hits me" in out
    false_positives = out.split("false positives: 1\n")[1]
    assert false_positives == f"  {tsv}:6: suicide\tsuicide.kms\tkms\n"


def test_report_lists_false_positives_with_lines(tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("neg\t-\tok\nneg\t-\tkms\n", encoding="utf-8")
    _, out = run(["check", "--report", str(tsv)])
    assert out.rstrip().endswith(f"{tsv}:2: suicide\tsuicide.kms\tkms")


def test_shipped_eval_set_report() -> None:
    code, out = run(
        ["check", "--report", str(ROOT / "data" / "safety" / "corpus" / "eval_set.tsv")]
    )
    assert code == 0
    assert "missed positives: 0" in out


def test_bad_crisis_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "crisis.yaml"
    bad.write_text("categories: {}\n", encoding="utf-8")
    code, out = run(["check"], "hi\n", crisis=bad)
    assert code == 1
    assert f"{bad}:1:" in out


def test_bad_labelled_file_exits_1(tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("maybe\t-\thello\n", encoding="utf-8")
    code, out = run(["check", "--report", str(tsv)])
    assert code == 1 and f"{tsv}:1:" in out


def test_usage_error() -> None:
    code, out = run(["frobnicate"])
    assert code == 2 and "usage" in out


def test_a_missing_crisis_file_says_where_to_run_from(tmp_path: Path) -> None:
    code, out = run(["check"], "hi\n", crisis=tmp_path / "crisis.yaml")
    assert code == 1 and "run coach from the project folder" in out
    assert "Traceback" not in out


def test_check_prints_the_question_for_an_uncertain_message() -> None:
    code, out = run(["check"], "i used to cut myself but the urge is back and strong tonight\n")
    assert code == 0 and out.split("\t")[0] in ("ask", "self_harm")


def test_report_summary_prints_each_layer_and_no_message_text(tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("pos\tsuicide\tI want to die\nneg\t-\tnice walk today\n", encoding="utf-8")
    code, out = run(["check", "--report", str(tsv), "--summary"])
    assert code == 0
    for layer in ("rules", "learned", "both"):
        assert f"[{layer}] caught (answer or question): " in out
        assert f"[{layer}] hard negatives flagged: " in out
    assert "I want to die" not in out and "nice walk" not in out


def test_train_without_scikit_learn_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a)
    )
    code, out = run(["train", "--check"])
    assert code == 1 and "pip install -e '.[dev]'" in out
