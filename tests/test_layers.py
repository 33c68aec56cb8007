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


def _sync_imports(paths: list[Path]) -> dict[str, set[str]]:
    """Each module's imports, ``from sync import recovery`` counted as ``sync.recovery``."""
    found: dict[str, set[str]] = {}
    for path in paths:
        names = _imports(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path.relative_to(ROOT).as_posix()] = names
    return found


def _matches(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def test_sync_ends_do_not_import_each_other() -> None:
    """The district server (sync/server/, sync/district_cli.py) never imports the laptop's half
    of sync (sync.laptop, the laptop's recovery half sync.recovery), and the laptop never imports
    the server: what both use (the field merge, the recovery format) lives in sync/ itself."""
    server = [*(ROOT / "sync" / "server").rglob("*.py"), ROOT / "sync" / "district_cli.py"]
    laptop = list((ROOT / "sync" / "laptop").rglob("*.py"))
    violations = [
        f"{path} imports {name}"
        for path, names in _sync_imports(server).items()
        for name in sorted(names)
        if _matches(name, ("sync.laptop", "sync.recovery"))
    ] + [
        f"{path} imports {name}"
        for path, names in _sync_imports(laptop).items()
        for name in sorted(names)
        if _matches(name, ("sync.server", "sync.district_cli"))
    ]
    assert violations == []
