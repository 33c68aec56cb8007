"""The engine is plain Python: no Qt, no storage; bundled files only via resources."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_THIRD_PARTY = {"lark", "jsonschema"}
ALLOWED_PROJECT = {"app.questionnaire", "resources"}


def test_engine_imports_only_the_standard_library_lark_and_jsonschema() -> None:
    bad: list[str] = []
    for path in sorted((ROOT / "app" / "questionnaire").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                project = any(name == p or name.startswith(p + ".") for p in ALLOWED_PROJECT)
                if not (
                    project
                    or top in ALLOWED_THIRD_PARTY
                    or top in sys.stdlib_module_names
                    or top == "__future__"
                ):
                    bad.append(f"{path.name} imports {name}")
    assert bad == []


def test_no_eval_or_exec_in_the_engine() -> None:
    for path in (ROOT / "app" / "questionnaire").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not calls & {"eval", "exec", "compile"}, path.name
