# ruff: noqa: F811 - fixtures imported from tests/sync/conftest.py and test_queries.py
"""Exports: the register and the figures as .xlsx within the user's scope, formula-like text
neutralised, read back with openpyxl."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from sync.server.console import queries as q
from sync.server.console import queries_export as qx
from sync.server.console import queries_overview as qo
from tests.console.test_queries import (  # noqa: F401 - fixtures
    DISTRICT,
    TOWN,
    Synced,
    _migrated_postgres,
    db_url,
    district,
    district_keys,
    make_device,
    pg_server,
    synced,
)
from tests.console.test_query_tables import TODAY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("张三", "张三"),
        ("a\x00b\x1bc", "abc"),
        (3, 3),
    ],
)
def test_neutralise(text: object, expected: object) -> None:
    assert qx.neutralise(text) == expected


def test_register_and_figures_exports(synced: Synced, tmp_path: Path) -> None:
    engine = synced.district.engine
    with engine.connect() as conn:
        child = conn.execute(
            q.q_children.update()
            .where(q.q_children.c.child_id == synced.dup_a)
            .values(name='=HYPERLINK("http://x")')
        )
        conn.commit()
        assert child.rowcount == 1
        town_file = tmp_path / "town.xlsx"
        written = qx.write_register(
            q.register_rows(conn, TOWN, q.RegisterFilter(), TODAY), town_file
        )
        full_file = tmp_path / "full.xlsx"
        total = qx.write_register(
            q.register_rows(conn, DISTRICT, q.RegisterFilter(), TODAY, chunk=3), full_file
        )
        figures = qo.overview(conn, TOWN, date(2026, 1, 1), TODAY, TODAY)
    assert written == len(synced.a_ids) and total == len(synced.a_ids | synced.c_ids)
    book = openpyxl.load_workbook(town_file)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == qx.REGISTER_HEADER and len(rows) == written + 1
    villages = {r[4] for r in rows[1:]}
    assert villages == {synced_village(synced)}
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    cell = next(c for c in book.active.iter_rows() if c[1].value and c[1].value.startswith("'="))
    assert cell[1].data_type == "s"  # text, not a formula
    assert sum(1 for r in rows[1:] if r[14] == "是") == 1  # the duplicate across villages
    figures_file = tmp_path / "figures.xlsx"
    qx.write_figures(figures, figures_file, "乡镇 500119104")
    book = openpyxl.load_workbook(figures_file)
    assert book.sheetnames[:3] == ["总览", "按等级", "按类别"]
    head = {r[0]: r[1] for r in book["总览"].iter_rows(values_only=True)}
    assert head["在册儿童"] == figures.active == len(synced.a_ids)


def synced_village(synced: Synced) -> str:
    from tests.sync.conftest import VILLAGE_A

    return VILLAGE_A


def test_streamed_file_is_removed(tmp_path: Path) -> None:
    path = qx.temporary_path()
    path.write_bytes(b"x" * (qx.CHUNK * 2 + 5))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sum(len(c) for c in qx.stream_file(path)) == qx.CHUNK * 2 + 5
    assert not path.exists()
