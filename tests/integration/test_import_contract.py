"""The import contract of `make lint` (pyproject's [tool.importlinter]) holds for the code,
and fails on a forbidden import: a copy of the code with the review tool importing the
web package is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.paths import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    for name in ("bot", "actions"):
        shutil.copytree(
            PROJECT_ROOT / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_the_contract(code_copy):
    result = lint_imports(code_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("bot/review/audit.py", "import bot.web.app"),  # review never imports web
        ("bot/core/answers.py", "import sqlalchemy"),  # the core knows no database
        ("actions/general.py", "import bot.store.conversations"),  # actions: core only
        ("bot/store/feedback.py", "import bot.adapters.channels"),  # store below adapters
    ],
)
def test_a_forbidden_import_breaks_the_contract(code_copy, module, forbidden):
    path = code_copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{forbidden}  # noqa\n")
    result = lint_imports(code_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
