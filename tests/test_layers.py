"""The layers point one way: storage ← app ← ui, sync uses storage and the domain, and no Qt
widgets below ui/. Checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "resources": set(),
    "storage": {"resources"},
    "app": {"resources", "storage"},
    "sync": {"resources", "storage", "app"},
    "ui": {"resources", "storage", "app", "sync"},
}
QT_GUI = ("PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtPrintSupport", "PySide6.QtPdfWidgets")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_layers_point_one_way() -> None:
    violations = []
    for layer, allowed in ALLOWED.items():
        for path in (ROOT / layer).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                if top in ALLOWED and top != layer and top not in allowed:
                    violations.append(f"{path.relative_to(ROOT)} imports {name}")
                if layer != "ui" and name.startswith(QT_GUI):
                    violations.append(f"{path.relative_to(ROOT)} imports Qt GUI {name}")
    assert violations == []
