"""The package's rooms stay small and its layers follow the pipeline."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hazid"
ROOT = PACKAGE.parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80  # the docstring aside


def _function_lengths(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0]
            start = node.lineno
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                start = first.end_lineno + 1
            yield node.name, node.lineno, node.end_lineno - start + 1


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_modules_are_small():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_functions_are_small():
    long = [
        f"{p.relative_to(ROOT)}:{line} {name} ({n} lines)"
        for p in _modules()
        for name, line, n in _function_lengths(p)
        if n > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_size_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    f = tmp_path / "m.py"
    f.write_text(f'def f():\n    """Doc."""\n{body}\n')
    assert [n for _, _, n in _function_lengths(f)] == [MAX_FUNCTION_LINES + 1]


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_layers_contract_is_kept():
    res = subprocess.run(
        ["lint-imports", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
