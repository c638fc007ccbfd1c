"""The shape of the tree: the import contract holds and catches a wrong-way import, and no
module outgrows a sitting (docs/architecture.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
SOURCES = ("bot", "handlers", "db")
MAX_LINES = 600  # a module read in one sitting; migrations are generated and exempt


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the packages of `tree` (it puts the working directory first on
    the import path, so the copy is what it reads)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in SOURCES:
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return copy


def test_the_contract_holds():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_a_data_module_importing_the_bot_breaks_the_contract(tree_copy):
    models = tree_copy / "db" / "models.py"
    models.write_text(models.read_text() + "\nfrom bot.config import LANGUAGES  # noqa\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "db.models -> bot.config" in result.stdout


def test_a_feature_importing_another_breaks_the_contract(tree_copy):
    caravans = tree_copy / "handlers" / "caravans.py"
    caravans.write_text(caravans.read_text() + "\nfrom handlers import subscriptions  # noqa\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "handlers.caravans -> handlers.subscriptions" in result.stdout


def test_no_module_outgrows_a_sitting():
    too_long = {}
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long


def test_every_feature_is_under_the_independence_contract():
    import tomllib

    import handlers

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    assert set(contracts["features"]["modules"]) == {f.__name__ for f in handlers.FEATURES}
