"""Scope: which villages a console user may see, in Python and as SQL on a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from sync.server.console.scope import Scope, town_of, valid_town_code

VILLAGES = ["500119101001", "500119101002", "500119102001", "500119103001", "510119101001"]


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("500119101", True),
        ("50011910", False),
        ("5001191010", False),
        ("500119000", False),  # no town part
        ("000119101", False),
        ("５００１１９１０１", False),  # full-width digits
        ("50011910a", False),
        ("500119101\n", False),
    ],
)
def test_town_codes(code: str, ok: bool) -> None:
    assert valid_town_code(code) is ok


def test_a_scope_refuses_a_malformed_town_or_role() -> None:
    with pytest.raises(ValueError):
        Scope("town", ("5001191",), 1)
    with pytest.raises(ValueError):
        Scope("admin", (), 1)  # type: ignore[arg-type]


def test_village_clause_selects_what_allows_village_allows(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'scope.db'}")
    table = Table("t", MetaData(), Column("village", String(12)))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"village": v} for v in [*VILLAGES, None]])
    scopes = [
        Scope("district", (), 1),
        Scope("town", ("500119101",), 2),
        Scope("town", ("500119101", "500119103"), 3),
        Scope("town", (), 4),
        Scope("partner", (), 5),
    ]
    with engine.connect() as conn:
        for scope in scopes:
            rows = conn.execute(
                select(table.c.village).where(scope.village_clause(table.c.village))
            )
            got = sorted(v for (v,) in rows if v is not None)
            assert got == sorted(v for v in VILLAGES if scope.allows_village(v)), scope
    assert Scope("town", ("500119101",), 2).allows_town(town_of("500119101002"))
    assert not Scope("town", ("500119101",), 2).allows_town("500119102")
    assert not Scope("partner", (), 5).allows_village("500119101001")
    engine.dispose()


WEB = ("fastapi", "starlette", "jinja2", "uvicorn", "playwright")
WEB_MODULES = ("auth.py", "web.py", "pages_*.py", "routes_*.py", "screenshots.py")


def test_the_consoles_rules_have_no_web_imports() -> None:
    """Scope, accounts, sessions, tables and the queries are plain Python: only the page modules
    (auth, web, pages_*, routes_*) and the screenshot tool speak HTTP or HTML."""
    import ast

    package = Path(__file__).resolve().parents[2] / "sync" / "server" / "console"
    web = {p for pattern in WEB_MODULES for p in package.glob(pattern)}
    offenders = []
    for path in sorted(set(package.glob("*.py")) - web):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in WEB]
    assert offenders == []
