import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("telegram", "sqlalchemy")


def test_safety_package_imports_no_telegram_or_sqlalchemy() -> None:
    code = (
        "import sys, bot.safety, bot.safety.cli, bot.safety.response;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'sqlalchemy')];"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_forbidden_import_statements() -> None:
    for path in (ROOT / "bot" / "safety").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
