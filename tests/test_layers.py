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


# ----- the vault's private parts stay in storage/vault.py -----------------------------------

VAULT_MODULE = ROOT / "storage" / "vault.py"
# Where code that uses a vault lives (tests/conftest.py builds the template vaults). Tests may
# look at internals they test; they are not scanned.
VAULT_USERS = ("app", "ui", "sync", "storage", "bench")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _vault_private_members() -> set[str]:
    """Underscore names the Vault class defines: its methods and class attributes, and every
    ``self._x`` / ``cls._x`` its methods use."""
    tree = ast.parse(VAULT_MODULE.read_text(encoding="utf-8"))
    vault = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Vault")
    names: set[str] = set()
    for node in ast.walk(vault):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
    return {n for n in names if _private(n)}


def _vault_private_uses(source: str, members: set[str]) -> list[str]:
    """``x._member`` for a private Vault member (``self._x``/``cls._x`` are a class's own),
    ``storage.vault._name`` through a module alias, and underscore names imported from
    ``storage.vault``; as ``line: what``, in line order."""
    tree = ast.parse(source)
    aliases: set[str] = set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "storage.vault":
            found += [
                (node.lineno, f"imports storage.vault.{a.name}")
                for a in node.names
                if _private(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module == "storage":
            aliases.update(a.asname or a.name for a in node.names if a.name == "vault")
        elif isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == "storage.vault")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        receiver = ast.unparse(node.value)
        if receiver in aliases:
            found.append((node.lineno, f"uses storage.vault.{node.attr}"))
        elif node.attr in members and receiver not in ("self", "cls"):
            found.append((node.lineno, f"uses {receiver}.{node.attr}"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_only_the_vault_touches_its_private_parts() -> None:
    """Outside storage/vault.py, code uses a vault through its public methods and the revision
    log of a session (storage/revision_log.py): no ``vault._lock``, ``vault._live()``,
    ``Vault._open…``, no ``from storage.vault import _guard``."""
    members = _vault_private_members()
    assert {"_lock", "_live", "_vault_key", "_clock", "_set_password"} <= members
    paths = [p for layer in VAULT_USERS for p in sorted((ROOT / layer).rglob("*.py"))]
    paths.append(ROOT / "tests" / "conftest.py")
    violations = [
        f"{path.relative_to(ROOT)}:{use}"
        for path in paths
        if path != VAULT_MODULE
        for use in _vault_private_uses(path.read_text(encoding="utf-8"), members)
    ]
    assert violations == []


def test_the_private_parts_check_finds_each_way_in() -> None:
    """The check above recognises each way storage/ modules used to reach into the vault."""
    sample = (
        "import storage.vault as sv\n"
        "from storage.vault import Vault, _guard\n"
        "def f(vault, self):\n"
        "    with vault._lock:\n"
        "        conn, cipher, _k = vault._live()\n"
        "    Vault._open(1, 2, 3)\n"
        "    sv._read_header(1)\n"
        "    self._lock.acquire()\n"
        "    return vault.paths._root\n"
    )
    assert _vault_private_uses(sample, _vault_private_members()) == [
        "2: imports storage.vault._guard",
        "4: uses vault._lock",
        "5: uses vault._live",
        "6: uses Vault._open",
        "7: uses storage.vault._read_header",
    ]


def _desk_vault_uses(source: str) -> list[str]:
    """Lines where a screen reads ``.vault`` of the desk (``desk.vault``, ``self._desk.vault``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "vault":
            owner = ast.unparse(node.value).rsplit(".", 1)[-1].lstrip("_")
            if owner == "desk":
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_screens_get_services_not_the_vault() -> None:
    """ui/views gets the app/services objects it uses (ui/desk_services.py), never the raw
    vault behind them; only the composition root (ui/gui.py) hands the vault around."""
    violations = [
        f"{path.relative_to(ROOT)}:{use}"
        for path in sorted((ROOT / "ui" / "views").rglob("*.py"))
        for use in _desk_vault_uses(path.read_text(encoding="utf-8"))
    ]
    assert violations == []
    sample = (
        "def f(self, desk):\n    v = desk.vault\n    w = self._desk.vault\n    x = self.vault\n"
    )
    assert _desk_vault_uses(sample) == ["2: desk.vault", "3: self._desk.vault"]
